/**
 * The layout `encode` (./codec.ts) gives a value that holds typed arrays: a small msgpack
 * header in which every typed array is a fixed-size reference, then the arrays' bytes, each
 * at an offset aligned to its element size:
 *
 *   0xc1 (a byte msgpack never uses, so these bytes cannot be plain msgpack), version 1,
 *   two zero bytes, the header's length (uint32 LE), the header, zeros up to a multiple
 *   of 8, then the arrays in the order the header names them.
 *
 * Why not msgpack's own typed-array extension: its encoder copies a large state several
 * times while its buffer grows, and its decoder must copy every array out of the blob
 * (an extension's payload lands at any byte offset, and a Float32Array needs 4). Here
 * encoding allocates the exact size once and copies each array once, and a decoder may
 * read the arrays in place. A reference is 16 bytes whatever the array's length, so a
 * state's size is its framing with every array empty plus the arrays' bytes.
 */

/** First byte of the layout: reserved ("never used") in msgpack. */
const SECTION_TAG = 0xc1;
const SECTION_VERSION = 1;
/** Tag byte, version, two zero bytes, the header's length. */
const PREFIX_BYTES = 8;
/** The msgpack extension type of a reference (unused by msgpackr). */
export const ARRAY_REF_EXTENSION = 0x41;
/** Bytes of a reference's payload: element type, three zero bytes, byte length (uint32), offset (float64, an integer). */
const ARRAY_REF_BYTES = 16;

type TypedArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;
type TypedArrayClass = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray; BYTES_PER_ELEMENT: number };

/** Element types a reference may name, by their code (msgpackr's typed-array codes). */
const ARRAY_CLASSES: readonly TypedArrayClass[] = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];

/** A typed array's place in the data section, standing in the header for the array. */
export class ArrayRef {
  constructor(
    readonly typeCode: number,
    readonly byteLength: number,
    readonly offset: number,
  ) {}
}

function typeCodeOf(value: unknown): number {
  if (!ArrayBuffer.isView(value)) return -1;
  return ARRAY_CLASSES.findIndex((c) => value.constructor === c);
}

const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

/** A value split into its header (arrays replaced by references) and its arrays. */
export interface SplitValue {
  header: unknown;
  arrays: TypedArray[];
  refs: ArrayRef[];
  /** Bytes of the data section (the last array's end). */
  dataBytes: number;
}

/**
 * Replaces every typed array under plain objects and arrays by a reference, laid out in
 * the order met; null when the value holds none (it is then encoded as plain msgpack).
 * Other values (Sets, Dates, class instances) are left to msgpack as they are.
 */
export function splitArrays(value: unknown): SplitValue | null {
  const arrays: TypedArray[] = [];
  const refs: ArrayRef[] = [];
  let end = 0;
  const visit = (v: unknown, depth: number): unknown => {
    // Deeper than any state nests: left to msgpack, whose decode limits refuse it.
    if (depth > 64 || typeof v !== 'object' || v === null) return v;
    const code = typeCodeOf(v);
    if (code >= 0) {
      const array = v as TypedArray;
      const offset = alignUp(end, ARRAY_CLASSES[code].BYTES_PER_ELEMENT);
      const ref = new ArrayRef(code, array.byteLength, offset);
      end = offset + array.byteLength;
      arrays.push(array);
      refs.push(ref);
      return ref;
    }
    if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1));
    if (Object.getPrototypeOf(v) !== Object.prototype) return v;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) out[key] = visit(item, depth + 1);
    return out;
  };
  const header = visit(value, 0);
  return arrays.length === 0 ? null : { header, arrays, refs, dataBytes: end };
}

/** A reference's extension payload. */
export function refPayload(ref: ArrayRef): Uint8Array {
  const bytes = new Uint8Array(ARRAY_REF_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, ref.typeCode);
  view.setUint32(4, ref.byteLength, true);
  view.setFloat64(8, ref.offset, true);
  return bytes;
}

/**
 * The encoded bytes of a split value whose header msgpack encoded as `header`, written
 * into `allocate(size)`. Every byte is written, padding included, so that memory holding
 * an earlier value gives the same bytes as fresh memory.
 */
export function assembleSection(header: Uint8Array, split: SplitValue, allocate: (size: number) => Uint8Array): Uint8Array {
  const dataStart = alignUp(PREFIX_BYTES + header.byteLength, 8);
  const out = allocate(dataStart + split.dataBytes);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = SECTION_TAG;
  out[1] = SECTION_VERSION;
  out[2] = out[3] = 0;
  view.setUint32(4, header.byteLength, true);
  out.set(header, PREFIX_BYTES);
  out.fill(0, PREFIX_BYTES + header.byteLength, dataStart);
  let end = dataStart;
  split.arrays.forEach((array, i) => {
    const at = dataStart + split.refs[i].offset;
    out.fill(0, end, at);
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), at);
    end = at + array.byteLength;
  });
  return out;
}

/** Whether `bytes` are in this layout (else plain msgpack). */
export function isSection(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === SECTION_TAG;
}

/**
 * Reads one section: its header's bytes, and the arrays its references name, checked as
 * they come (they come from a peer): known element types, whole elements, in order, not
 * overlapping, inside the data section, which they must end exactly.
 */
export class SectionReader {
  readonly header: Uint8Array;
  private readonly dataStart: number;
  private end = 0;

  /** `inPlace`: arrays are views on `bytes` where aligned (they then share its memory), else copies. */
  constructor(
    private readonly bytes: Uint8Array,
    private readonly inPlace: boolean,
  ) {
    if (bytes.byteLength < PREFIX_BYTES) throw new Error(`${bytes.byteLength} bytes are too few for an array section's ${PREFIX_BYTES}-byte prefix`);
    if (bytes[1] !== SECTION_VERSION) throw new Error(`array section version ${bytes[1]} is not supported (expected ${SECTION_VERSION})`);
    const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
    this.dataStart = alignUp(PREFIX_BYTES + headerBytes, 8);
    if (this.dataStart > bytes.byteLength) throw new Error(`the array section's header declares ${headerBytes} bytes, beyond the ${bytes.byteLength} there are`);
    this.header = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes);
  }

  /** The array a reference's payload names. */
  array(payload: Uint8Array): TypedArray {
    if (payload.byteLength !== ARRAY_REF_BYTES) throw new Error(`an array reference is ${payload.byteLength} bytes, expected ${ARRAY_REF_BYTES}`);
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const code = view.getUint8(0);
    const byteLength = view.getUint32(4, true);
    const offset = view.getFloat64(8, true);
    const Class = ARRAY_CLASSES[code];
    if (!Class) throw new Error(`an array reference names element type ${code}, which is not one`);
    const size = Class.BYTES_PER_ELEMENT;
    const dataBytes = this.bytes.byteLength - this.dataStart;
    if (!Number.isInteger(offset) || offset < this.end || offset % size !== 0 || byteLength % size !== 0 || offset + byteLength > dataBytes) {
      throw new Error(`an array reference to ${byteLength} bytes at offset ${offset} does not fit the data section (${dataBytes} bytes, ${this.end} of them taken by earlier arrays; ${size}-byte elements)`);
    }
    this.end = offset + byteLength;
    const start = this.bytes.byteOffset + this.dataStart + offset;
    if (this.inPlace && start % size === 0) return new Class(this.bytes.buffer, start, byteLength / size);
    return new Class(this.bytes.buffer.slice(start, start + byteLength));
  }

  /** Throws unless the arrays read end the data section exactly. */
  finish(): void {
    const dataBytes = this.bytes.byteLength - this.dataStart;
    if (this.end !== dataBytes) throw new Error(`the array section has ${dataBytes - this.end} bytes after its last array`);
  }
}
