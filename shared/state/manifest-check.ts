/**
 * Checks a decoded state against its manifest (./manifest.ts): the method, the step, every
 * part the task's model and method must have and no other, every array of each of its
 * declared shape, float32, holding as many values as its shape and only finite ones.
 * Works on the decoded value as it came, so that each problem is named where it is.
 */
import type { ArrayDecl } from '../model/decls.js';
import { isRecord } from './arrays.js';
import type { GroupsManifest, StateManifest } from './manifest.js';
import { describePartsMeta, type PartsMeta } from './part-meta.js';

/** What is wrong with decoded state `raw` for `manifest`, or null when it is the state the manifest describes. */
export function manifestProblem(raw: unknown, manifest: StateManifest): string | null {
  if (!isRecord(raw)) return 'is not a map of fields';
  if (raw.method !== manifest.method) return `is a state of method ${show(raw.method)}, the task trains "${manifest.method}"`;
  if (raw.step !== manifest.step) return `records step ${show(raw.step)}, the task ends at step ${manifest.step}`;
  const meta = describePartsMeta(isRecord(raw.partMeta) ? (raw.partMeta as PartsMeta) : undefined);
  const expectedMeta = describePartsMeta(manifest.partMeta);
  if (raw.partMeta !== undefined && !isRecord(raw.partMeta)) return 'has partMeta that is not a map of parts';
  if (meta !== expectedMeta) return `describes its parts as "${meta}", the method's as "${expectedMeta}"`;
  return (
    partsProblem(raw.methodState, manifest.methodState, 'methodState') ??
    optionalProblem(raw.optimizer, manifest.optimizer, 'optimizer', flatProblem) ??
    optionalProblem(raw.regularizer, manifest.regularizer, 'regularizer', partsProblem)
  );
}

type Check = (value: unknown, manifest: GroupsManifest, where: string) => string | null;

/** A field that is null (or absent) exactly when the manifest has nothing for it. */
function optionalProblem(value: unknown, manifest: GroupsManifest | null, where: string, check: Check): string | null {
  const absent = value === null || value === undefined;
  if (!manifest) return absent ? null : `has ${where} state, but the task keeps none`;
  if (absent) return `has no ${where} state, but the task keeps it`;
  return check(value, manifest, where);
}

/** A map of parts, each one group of the manifest, in one of its variants. */
function partsProblem(value: unknown, manifest: GroupsManifest, where: string): string | null {
  if (!isRecord(value)) return `${where}: expected a map of parts`;
  const held = Object.keys(value).sort();
  const unknown = held.find((part) => !Object.hasOwn(manifest.groups, part));
  if (unknown !== undefined) return `${where}: has a part "${unknown}" the task's model does not have`;
  if (!manifest.variants.some((variant) => sameSet(variant, held))) {
    return `${where}: holds part(s) [${held.join(', ')}], expected ${manifest.variants.map((v) => `[${v.join(', ')}]`).join(' or ')}`;
  }
  for (const part of held) {
    const problem = arraysProblem(value[part], manifest.groups[part], `${where}.${part}`);
    if (problem) return problem;
  }
  return null;
}

/** One flat map of arrays: the union of the groups of one variant. */
function flatProblem(value: unknown, manifest: GroupsManifest, where: string): string | null {
  if (!isRecord(value)) return `${where}: expected a map of named arrays`;
  const held = new Set(Object.keys(value));
  const unions = manifest.variants.map((variant) => variant.flatMap((group) => manifest.groups[group]));
  // Named against the variant it is nearest to: the fewest arrays missing or extra.
  const distance = (decls: readonly ArrayDecl[]) => {
    const names = new Set(decls.map((d) => d.name));
    return decls.filter((d) => !held.has(d.name)).length + [...held].filter((name) => !names.has(name)).length;
  };
  const nearest = unions.reduce((best, decls) => (distance(decls) < distance(best) ? decls : best));
  return arraysProblem(value, nearest, where);
}

/** Exactly the declared arrays, each as declared. */
function arraysProblem(value: unknown, decls: readonly ArrayDecl[], where: string): string | null {
  if (!isRecord(value)) return `${where}: expected a map of named arrays`;
  const declared = new Map(decls.map((d) => [d.name, d]));
  const missing = decls.find((d) => !Object.hasOwn(value, d.name));
  if (missing) return `${where}: misses the array "${missing.name}"`;
  const extra = Object.keys(value).find((name) => !declared.has(name));
  if (extra !== undefined) return `${where}: has an array "${extra}" the task's model does not have`;
  for (const decl of decls) {
    const problem = arrayProblem(value[decl.name], decl, `${where}.${decl.name}`);
    if (problem) return problem;
  }
  return null;
}

function arrayProblem(entry: unknown, decl: ArrayDecl, where: string): string | null {
  if (!isRecord(entry)) return `${where}: expected {shape, values}`;
  const { shape, values } = entry;
  if (!Array.isArray(shape) || shape.length !== decl.shape.length || shape.some((d, i) => d !== decl.shape[i])) {
    return `${where}: has shape ${Array.isArray(shape) ? `[${shape.join(', ')}]` : show(shape)}, the model's is [${decl.shape.join(', ')}]`;
  }
  if (!(values instanceof Float32Array)) return `${where}: holds ${kind(values)} values, expected float32 (Float32Array)`;
  const size = decl.shape.reduce((a, b) => a * b, 1);
  if (values.length !== size) return `${where}: holds ${values.length} values, its shape [${decl.shape.join(', ')}] has ${size}`;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) return `${where}: holds ${values[i]} at [${i}]`;
  }
  return null;
}

function sameSet(a: readonly string[], sortedB: readonly string[]): boolean {
  return a.length === sortedB.length && [...a].sort().every((x, i) => x === sortedB[i]);
}

function kind(values: unknown): string {
  if (ArrayBuffer.isView(values)) return values.constructor.name;
  return Array.isArray(values) ? 'a plain array of' : typeof values;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : typeof value === 'object' && value !== null ? (Array.isArray(value) ? 'an array' : 'an object') : String(value);
}
