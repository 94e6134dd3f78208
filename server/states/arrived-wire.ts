/**
 * The wire bytes a returned blob arrived as, by the float32 bytes the coordinator decoded
 * them to, so that handing those bytes on under the same transfer spec sends what arrived
 * instead of encoding them again. A float16 state then crosses the coordinator with one
 * expansion (to check it) and no halving: at 1 Gbit/s the halving of a ResNet-18 state cost
 * as long as half its bytes take on the link.
 *
 * Sound for any sender, hostile ones included: the receiver decodes the wire as the
 * coordinator did (decoding is a function of the bytes: equal wire, equal float32 bytes), so
 * it gets exactly the bytes the coordinator checked, whatever encoder made them. Weakly
 * held: an entry goes with the float32 bytes it belongs to (which costs the wire's bytes,
 * about half a float16 state's, for each such state the coordinator still holds).
 */
import { transferLabel, type TransferSpec } from '../../shared/wire/transfer-spec.js';
import { effectiveTransfer, type BlobKind } from '../../shared/wire/wire-encoding.js';

interface Arrival {
  /** The label of the transfer the wire was decoded under (as it applies to its kind of blob). */
  label: string;
  wire: Uint8Array;
}

const arrivals = new WeakMap<Uint8Array, Arrival>();

/** Records that `wire`, a blob of `kind` sent under `spec`, decoded to `bytes`. The wire must be left alone from now on. */
export function keepArrivedWire(bytes: Uint8Array, wire: Uint8Array, spec: TransferSpec, kind: BlobKind): void {
  if (wire !== bytes) arrivals.set(bytes, { label: transferLabel(effectiveTransfer(spec, kind)), wire });
}

/** The wire `bytes` arrived as, when they arrived as a blob of `kind` under `spec` and it is kept. */
export function arrivedWire(bytes: Uint8Array, spec: TransferSpec, kind: BlobKind): Uint8Array | undefined {
  const arrival = arrivals.get(bytes);
  return arrival?.label === transferLabel(effectiveTransfer(spec, kind)) ? arrival.wire : undefined;
}
