/**
 * Model states the coordinator has decoded, by their bytes, so that it decodes each
 * state once: the check of a returned state keeps what it decoded here, and fedavg's
 * average and the check of the next result against the state handed out read it back
 * instead of decoding the same bytes again. Weakly held: an entry goes with its bytes
 * (which costs a decoded copy of each state the coordinator still holds).
 */
import { decodeState, type ModelState } from '../../shared/state/model-state.js';

const decoded = new WeakMap<Uint8Array, ModelState>();
/** Kept states whose bytes have no `regularizer` field (checkModelState reads its absence as null). */
const withoutRegularizerField = new WeakSet<Uint8Array>();

/**
 * Records that `bytes` decode to `state` (checked, or just encoded from it); `raw`, when
 * given, is the value decoded before checking, which says whether the bytes have a
 * `regularizer` field (see `keptAsEncoded`).
 */
export function keepDecoded(bytes: Uint8Array, state: ModelState, raw?: unknown): void {
  decoded.set(bytes, state);
  if (typeof raw === 'object' && raw !== null && (raw as { regularizer?: unknown }).regularizer === undefined) withoutRegularizerField.add(bytes);
}

/**
 * The state kept for `bytes`, as encoding it again would give the same bytes (its
 * `regularizer` absent where the bytes have none), or undefined when none is kept: what a
 * float16 hand-off halves without decoding the bytes again.
 */
export function keptAsEncoded(bytes: Uint8Array): ModelState | undefined {
  const state = decoded.get(bytes);
  if (!state || !withoutRegularizerField.has(bytes)) return state;
  const { regularizer: _absent, ...rest } = state;
  return rest;
}

/** The state `bytes` hold: the one kept for them, or decoded now and kept. Throws as decodeState does. */
export function decodedState(bytes: Uint8Array): ModelState {
  let state = decoded.get(bytes);
  if (!state) {
    state = decodeState(bytes);
    decoded.set(bytes, state);
  }
  return state;
}
