/** Test helper: the wasm backend, as clients on CPU-only machines run it. */
import { selectBackend } from '../../client/backend.js';

export async function useWasm(): Promise<void> {
  await selectBackend('wasm');
}
