/**
 * The dashboard page's files: its HTML (behind the viewer token), its ES modules (ours,
 * TypeScript made JavaScript by esbuild as they are asked for, each file on its own, no
 * bundle), and the two libraries it imports, uPlot and socket.io's client, read from
 * node_modules as `npm install` put them there. Nothing comes from a CDN. Only the files
 * listed here can be asked for: a path is never joined onto a folder unchecked.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { transform } from 'esbuild';
import { PROJECT_ROOT } from '../../../shared/code-location.js';

const ROOT = PROJECT_ROOT;
const require = createRequire(import.meta.url);

/** Where the page's own modules live (repository-relative); the page imports shared/observe for the reducer. */
const MODULE_FOLDERS = ['server/observe/dashboard/page/', 'shared/observe/'];

/** The libraries the page imports (by the names its import map gives them) and its style sheet. */
const VENDOR: Record<string, { file: () => string; type: string }> = {
  'uPlot.esm.js': { file: () => join(packageDir('uplot'), 'dist/uPlot.esm.js'), type: 'text/javascript' },
  'uPlot.min.css': { file: () => join(packageDir('uplot'), 'dist/uPlot.min.css'), type: 'text/css' },
  'socket.io.esm.min.js': { file: () => join(packageDir('socket.io-client'), 'dist/socket.io.esm.min.js'), type: 'text/javascript' },
};

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

export interface PageFile {
  body: string;
  type: string;
  /** For the page: its inline scripts' hashes, for its Content-Security-Policy. */
  scriptHashes?: string[];
}

/** The page's files, read (and transpiled) once each. */
export class PageFiles {
  private readonly cache = new Map<string, Promise<PageFile>>();

  /** The page itself. */
  html(): Promise<PageFile> {
    return this.cached('index.html', async () => {
      const body = await readFile(join(ROOT, 'server/observe/dashboard/page/index.html'), 'utf8');
      // The import map is the page's one inline script: the policy allows it by its hash.
      const scriptHashes = [...body.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
      return { body, type: 'text/html; charset=utf-8', scriptHashes };
    });
  }

  /**
   * The file at `path` (`/app/<repository path>.js` for our modules, `/vendor/<name>` for
   * the libraries), or null when it is not one of the page's files.
   */
  get(path: string): Promise<PageFile> | null {
    if (path === '/app/server/observe/dashboard/page/style.css') {
      return this.cached(path, async () => ({ body: await readFile(join(ROOT, 'server/observe/dashboard/page/style.css'), 'utf8'), type: 'text/css; charset=utf-8' }));
    }
    if (path.startsWith('/vendor/')) {
      const vendor = VENDOR[path.slice('/vendor/'.length)];
      return vendor ? this.cached(path, async () => ({ body: await readFile(vendor.file(), 'utf8'), type: `${vendor.type}; charset=utf-8` })) : null;
    }
    const match = /^\/app\/((?:[a-z0-9-]+\/)+)([a-z0-9-]+)\.js$/.exec(path);
    if (!match || !MODULE_FOLDERS.includes(match[1])) return null;
    const source = join(ROOT, match[1], `${match[2]}.ts`);
    return this.cached(path, async () => {
      const ts = await readFile(source, 'utf8');
      const { code } = await transform(ts, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: `${match[1]}${match[2]}.ts` });
      return { body: code, type: 'text/javascript; charset=utf-8' };
    });
  }

  private cached(key: string, load: () => Promise<PageFile>): Promise<PageFile> {
    let file = this.cache.get(key);
    if (!file) {
      file = load();
      // A failed read is not kept: the next request tries again.
      file.catch(() => this.cache.delete(key));
      this.cache.set(key, file);
    }
    return file;
  }
}
