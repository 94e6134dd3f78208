/**
 * A method's state as named parts (`online`, `target`, ...), each a Params map's arrays.
 */
import type { MethodState } from '../../shared/state/arrays.js';
import { assignParams, paramsToArrays, type Params } from '../models/params.js';

/** Reads every part's parameters out of the backend. */
export async function exportParts(parts: Record<string, Params>): Promise<MethodState> {
  const state: MethodState = {};
  for (const [part, p] of Object.entries(parts)) state[part] = await paramsToArrays(p);
  return state;
}

function list(names: string[]): string {
  return `${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`;
}

/**
 * Restores every part. Missing or unknown parts, missing or unknown parameters and
 * shapes that differ are refused before anything is assigned (a state of another
 * method or model); non-finite values are refused by assignParams.
 */
export function importParts(method: string, state: MethodState, parts: Record<string, Params>): void {
  const unknownParts = Object.keys(state).filter((part) => !(part in parts));
  if (unknownParts.length > 0) throw new Error(`${method} state: unknown part(s) ${list(unknownParts)}`);
  for (const [part, p] of Object.entries(parts)) {
    const arrays = state[part];
    if (!arrays) throw new Error(`${method} state: missing "${part}"`);
    const expected = new Map([...p.trainable, ...p.buffers]);
    const unknown = Object.keys(arrays).filter((name) => !expected.has(name));
    if (unknown.length > 0) throw new Error(`${method} ${part}: unknown parameters ${list(unknown)} (a state of another model?)`);
    const missing = [...expected.keys()].filter((name) => !(name in arrays));
    if (missing.length > 0) throw new Error(`${method} ${part}: missing parameters ${list(missing)}`);
    for (const [name, v] of expected) {
      const { shape } = arrays[name];
      if (shape.length !== v.shape.length || shape.some((d, i) => d !== v.shape[i])) {
        throw new Error(`${method} ${part}: parameter "${name}" has shape [${shape}] but the model expects [${v.shape}]`);
      }
    }
  }
  for (const [part, p] of Object.entries(parts)) assignParams(p, state[part], `${method} ${part}`);
}
