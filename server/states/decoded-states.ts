/**
 * Model states the coordinator has decoded, by their bytes, so that it decodes each
 * state once: the check of a returned state keeps what it decoded here, and fedavg's
 * average and the check of the next result against the state handed out read it back
 * instead of decoding the same bytes again. Weakly held: an entry goes with its bytes
 * (which costs a decoded copy of each state the coordinator still holds).
 */
import { decodeState, type ModelState } from '../../shared/state/model-state.js';

const decoded = new WeakMap<Uint8Array, ModelState>();

/** Records that `bytes` decode to `state` (checked, or just encoded from it). */
export function keepDecoded(bytes: Uint8Array, state: ModelState): void {
  decoded.set(bytes, state);
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
