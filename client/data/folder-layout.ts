/**
 * Finds the image files of a folder dataset in one of the usual layouts, without reading
 * them: ImageNet (`root/train/<class>/*`, `root/val/<class>/*`), DomainNet
 * (`root/<domain>/<class>/*`, with `<domain>_train.txt` / `<domain>_test.txt` split lists
 * when present) and plain class folders (`root/<class>/*`, no split). Classes and domains
 * are numbered in sorted name order, unless the spec lists them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FOLDER_LAYOUTS } from '../../shared/scenario.js';

export type FolderLayout = Exclude<(typeof FOLDER_LAYOUTS)[number], 'auto'>;

/** One image file to load. */
export interface FolderEntry {
  file: string;
  label: number;
  /** Index into the listing's `domains` (DomainNet layout only). */
  domain?: number;
}

export interface FolderListing {
  layout: FolderLayout;
  classNames: string[];
  domains?: string[];
  train: FolderEntry[];
  /** Absent when the folder has no split of its own: the loader makes one. */
  test?: FolderEntry[];
}

export interface ListOptions {
  layout: FolderLayout | 'auto';
  domains?: readonly string[];
  classes?: readonly string[];
}

/** File types sharp decodes; anything else in a class folder (notes, lists) is ignored. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif']);
/** Labels are stored as bytes. */
const MAX_CLASSES = 256;

const isImage = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

function subdirectories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function imagesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && isImage(e.name))
    .map((e) => e.name)
    .sort();
}

/** The layout of `root` when the spec says `auto`. */
export function detectLayout(root: string): FolderLayout {
  const dirs = subdirectories(root);
  if (dirs.includes('train') && existsSync(join(root, 'val'))) return 'imagenet';
  if (readdirSync(root).some((n) => n.endsWith('_train.txt'))) return 'domainnet';
  // Folders of folders (no images at the second level) are domains of classes.
  const nested = dirs.length > 0 && dirs.every((d) => imagesIn(join(root, d)).length === 0 && subdirectories(join(root, d)).length > 0);
  return nested ? 'domainnet' : 'classes';
}

/** `wanted` (checked against `found`) or all of `found`; `field` names the spec field in errors. */
function choose(found: readonly string[], wanted: readonly string[] | undefined, field: string, where: string): string[] {
  if (!wanted) return [...found];
  const missing = wanted.filter((w) => !found.includes(w));
  if (missing.length > 0) throw new Error(`dataset.${field}: ${missing.map((m) => `"${m}"`).join(', ')} not found in ${where} (found ${found.slice(0, 8).join(', ')}${found.length > 8 ? ', ...' : ''})`);
  return [...wanted];
}

function checkClassCount(classNames: readonly string[], root: string): void {
  if (classNames.length === 0) throw new Error(`dataset.path: no class folders in ${root}`);
  if (classNames.length > MAX_CLASSES) {
    throw new Error(`dataset.classes: ${root} has ${classNames.length} classes, at most ${MAX_CLASSES} fit; list the ones to load in dataset.classes`);
  }
}

/** Every image of `dir/<class>/*` for the chosen classes. */
function classFolderEntries(dir: string, classNames: readonly string[], domain?: number): FolderEntry[] {
  const entries: FolderEntry[] = [];
  classNames.forEach((name, label) => {
    const classDir = join(dir, name);
    if (!existsSync(classDir)) return;
    for (const file of imagesIn(classDir)) entries.push({ file: join(classDir, file), label, ...(domain === undefined ? {} : { domain }) });
  });
  return entries;
}

function listImagenet(root: string, opts: ListOptions): FolderListing {
  for (const split of ['train', 'val']) {
    if (!existsSync(join(root, split)) || !statSync(join(root, split)).isDirectory()) {
      throw new Error(`dataset.path: ${root} has no ${split}/ folder (ImageNet layout: train/<class>/*, val/<class>/*)`);
    }
  }
  const classNames = choose(subdirectories(join(root, 'train')), opts.classes, 'classes', join(root, 'train'));
  checkClassCount(classNames, root);
  const val = join(root, 'val');
  if (subdirectories(val).length === 0 && imagesIn(val).length > 0) {
    throw new Error(`dataset.path: ${val} holds images directly; sort them into val/<class>/ folders (the usual valprep step)`);
  }
  return { layout: 'imagenet', classNames, train: classFolderEntries(join(root, 'train'), classNames), test: classFolderEntries(val, classNames) };
}

/** Files of a DomainNet split list (`<domain>/<class>/<file> <label>` a line), kept when their class is chosen. */
function readSplitList(root: string, listFile: string, classIds: Map<string, number>, domain: number): FolderEntry[] {
  const entries: FolderEntry[] = [];
  readFileSync(listFile, 'utf8')
    .split('\n')
    .forEach((line, n) => {
      const path = line.trim().split(/\s+/)[0];
      if (!path) return;
      const parts = path.split('/');
      if (parts.length < 3) throw new Error(`${listFile}:${n + 1}: expected "<domain>/<class>/<file> <label>", got "${line.trim()}"`);
      const label = classIds.get(parts[parts.length - 2]);
      if (label !== undefined) entries.push({ file: join(root, path), label, domain });
    });
  return entries;
}

function listDomainnet(root: string, opts: ListOptions): FolderListing {
  const domains = choose(subdirectories(root), opts.domains, 'domains', root);
  if (domains.length === 0) throw new Error(`dataset.path: no domain folders in ${root} (DomainNet layout: <domain>/<class>/*)`);
  if (domains.length > MAX_CLASSES) throw new Error(`dataset.domains: ${domains.length} domains in ${root}, at most ${MAX_CLASSES}`);
  const allClasses = [...new Set(domains.flatMap((d) => subdirectories(join(root, d))))].sort();
  const classNames = choose(allClasses, opts.classes, 'classes', `the domains of ${root}`);
  checkClassCount(classNames, root);
  const classIds = new Map(classNames.map((name, id) => [name, id]));
  const lists = domains.map((d) => ({ train: join(root, `${d}_train.txt`), test: join(root, `${d}_test.txt`) }));
  const withLists = lists.filter((l) => existsSync(l.train) && existsSync(l.test)).length;
  if (withLists > 0 && withLists < domains.length) {
    throw new Error(`dataset.path: ${root} has <domain>_train.txt/_test.txt for ${withLists} of ${domains.length} domains; provide them for all or none`);
  }
  if (withLists === 0) {
    return { layout: 'domainnet', classNames, domains, train: domains.flatMap((d, i) => classFolderEntries(join(root, d), classNames, i)) };
  }
  return {
    layout: 'domainnet',
    classNames,
    domains,
    train: lists.flatMap((l, i) => readSplitList(root, l.train, classIds, i)),
    test: lists.flatMap((l, i) => readSplitList(root, l.test, classIds, i)),
  };
}

function listClasses(root: string, opts: ListOptions): FolderListing {
  const classNames = choose(subdirectories(root), opts.classes, 'classes', root);
  checkClassCount(classNames, root);
  return { layout: 'classes', classNames, train: classFolderEntries(root, classNames) };
}

/** The files of the folder dataset at `root`. */
export function listFolder(root: string, opts: ListOptions): FolderListing {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`dataset.path: ${root} is not a folder`);
  const layout = opts.layout === 'auto' ? detectLayout(root) : opts.layout;
  if (opts.domains && layout !== 'domainnet') throw new Error(`dataset.domains: only the DomainNet layout has domains (${root} is laid out as "${layout}")`);
  const listing = layout === 'imagenet' ? listImagenet(root, opts) : layout === 'domainnet' ? listDomainnet(root, opts) : listClasses(root, opts);
  if (listing.train.length === 0) throw new Error(`dataset.path: no image files (${[...IMAGE_EXTENSIONS].join(' ')}) found under ${root}`);
  return listing;
}
