#!/usr/bin/env node
/**
 * Builds the optional oneDNN convolution addon (native/build/Release/onednn_conv.node).
 *
 *   node native/build.mjs [--required]
 *
 * Optional by design: without oneDNN's headers (Debian: `apt-get install libdnnl-dev`)
 * or a C++ toolchain it prints why and exits 0, and clients keep the wasm kernels.
 * `--required` makes any failure exit 1 (CI, where the addon must be there).
 *
 * node-gyp is the one bundled with npm (no extra dependency). Node's headers are
 * taken from the local Node install when it ships them (Debian's nodejs does,
 * under /usr/include/node), so no download from nodejs.org is needed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.argv.includes('--required');

function give_up(reason) {
  console.error(`native/build.mjs: oneDNN addon not built: ${reason}`);
  console.error('native/build.mjs: convolutions will use the wasm kernels');
  process.exit(required ? 1 : 0);
}

const DNNL_HEADERS = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'];
if (!process.env.DNNL_SKIP_HEADER_CHECK && !DNNL_HEADERS.some((p) => existsSync(p))) {
  give_up('oneDNN headers not found (apt-get install -y libdnnl-dev)');
}

/** node-gyp's entry script: npm's own (as npm exposes it to scripts), else next to this Node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally
  }
  return candidates.find((p) => p && existsSync(p));
}

const gyp = findNodeGyp();
if (!gyp) give_up('node-gyp not found (it ships with npm)');

const args = [gyp, 'rebuild'];
const prefix = join(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
  args.push(`--nodedir=${prefix}`);
}
const run = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (run.error) give_up(run.error.message);
if (run.status !== 0) give_up(`node-gyp exited with code ${run.status}`);
console.error(`native/build.mjs: built ${join(here, 'build', 'Release', 'onednn_conv.node')}`);
