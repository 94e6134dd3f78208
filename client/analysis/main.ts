/**
 * The analysis process: `node --import tsx client/analysis/main.ts`, started by a
 * coordinator with an IPC channel (server/analysis/analysis-process.ts; the conversation is in
 * shared/analysis-ipc.ts). It analyzes one run, answers and exits, so that TensorFlow.js
 * is loaded here and never in the coordinator. Diagnostics go to stderr.
 */
import type { AnalysisChildMessage } from '../../shared/analysis-ipc.js';

if (!process.send) {
  process.stderr.write('streamssl analysis: this process is started by a coordinator (streamssl analyze), with an IPC channel\n');
  process.exit(2);
}
// The channel closes when the coordinator is gone, however it ended (even SIGKILL):
// nobody is left to take the results. Registered before the engine loads, which takes a while.
process.once('disconnect', () => process.exit(1));
if (!process.connected) process.exit(1);

const send = (message: AnalysisChildMessage) =>
  new Promise<void>((resolve, reject) => {
    if (!process.connected) return reject(new Error('the coordinator closed the channel'));
    process.send!(message, (err: Error | null) => (err ? reject(err) : resolve()));
  });

const { serveAnalysis } = await import('./serve.js');
const code = await serveAnalysis({ send, onMessage: (listener) => process.on('message', listener) });
// The answer is on its way (send resolved once it was written); the engine's thread pools
// and timers must not keep the process alive.
process.exit(code);
