/**
 * Image bytes the input pipeline's worker threads can read where they are. A training
 * pool allocated here is handed to the workers as it is; any other pool is first copied
 * into shared memory (./pipeline.ts), which for a joint stage over Fashion-MNIST held the
 * 47 MB of its images twice.
 */

/** `length` zeroed bytes over a SharedArrayBuffer. */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** The SharedArrayBuffer that `bytes` starts at the beginning of, or null when it has to be copied to be shared. */
export function sharedBufferOf(bytes: Uint8Array): SharedArrayBuffer | null {
  return bytes.buffer instanceof SharedArrayBuffer && bytes.byteOffset === 0 ? bytes.buffer : null;
}
