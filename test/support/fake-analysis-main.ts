/**
 * An analysis process that misbehaves, for tests of server/analysis/analysis-process.ts:
 * `node --import tsx test/support/fake-analysis-main.ts`, with STREAMSSL_FAKE_ANALYSIS =
 *   crash    - writes a line to stderr and exits with code 3 before answering;
 *   hang     - takes its task, logs `hanging` and then does nothing;
 *   garbage  - answers with results that are not results;
 *   probe    - asks for a state it was not handed and for one it was, then fails with what it got.
 */
const mode = process.env.STREAMSSL_FAKE_ANALYSIS;
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
process.once('disconnect', () => process.exit(1));

if (mode === 'crash') {
  process.stderr.write('fake analysis: out of luck\n');
  process.exit(3);
}
const start = new Promise<{ arms: Array<{ name: string; stages: Array<{ stage: number }> }> }>((resolve) => process.on('message', (m: { type: string }) => m.type === 'start' && resolve(m as never)));
const answers = new Map<number, (m: { type: string; state?: Uint8Array; message?: string }) => void>();
process.on('message', (m: { type: string; id?: number }) => m.id !== undefined && answers.get(m.id)?.(m));
const read = (id: number, arm: string, stage: number) =>
  new Promise<{ type: string; state?: Uint8Array; message?: string }>((resolve) => {
    answers.set(id, resolve);
    void send({ type: 'read-state', id, arm, stage });
  });

await send({ type: 'hello', pid: process.pid });
const { arms } = await start;
if (mode === 'garbage') {
  await send({ type: 'done', analysis: { backend: 'wasm', cka: 'plenty' } });
} else if (mode === 'probe') {
  const refused = await read(0, 'elsewhere', 0);
  const given = await read(1, arms[0].name, arms[0].stages[0].stage);
  await send({ type: 'failed', message: `refused: ${refused.message}; given: ${given.state?.constructor.name} of ${given.state?.byteLength} bytes` });
  process.exit(1);
}
// hang, and anything else: wait to be killed.
await send({ type: 'log', message: 'hanging' });
setInterval(() => {}, 60_000);
