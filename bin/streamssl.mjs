#!/usr/bin/env node
// Runs the compiled JavaScript of the current sources (scripts/build-js.mjs), building it
// first when the sources changed since the last build. Where no build can be made (esbuild
// missing, a read-only checkout), or with STREAMSSL_RUN_SOURCES=1, tsx compiles the
// TypeScript sources on load instead.
let entry;
if (process.env.STREAMSSL_RUN_SOURCES !== '1') {
  try {
    const { ensureBuild } = await import('../scripts/build-js.mjs');
    entry = await ensureBuild();
  } catch (err) {
    process.stderr.write(`streamssl: running the TypeScript sources through tsx (no build: ${err.message})\n`);
  }
}
if (entry) {
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
