/**
 * Runs a TypeScript worker entry from the sources: registers tsx in this worker thread
 * (the main thread's `--import tsx` does not reach worker threads on Node 20), then
 * imports `workerData.entry`. The compiled build starts its JavaScript entries directly.
 */
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
