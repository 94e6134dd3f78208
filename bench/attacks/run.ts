/**
 * Attacks on a coordinator, measured: `npx tsx bench/attacks/run.ts`. Every attack targets
 * 127.0.0.1 only, is bounded in count and time, and stops by itself. Prints a Markdown
 * table (what was tried, what the coordinator did) for the README's trust model.
 */
import { connect, type Socket as TcpSocket } from 'node:net';
import { io } from 'socket.io-client';
import { startClient } from '../../client/connection.js';
import { PROTOCOL_VERSION } from '../../shared/protocol.js';
import { createInterface } from 'node:readline';
import { spawnEntry } from '../../server/clients/node-process.js';
import { entryFile } from '../../shared/code-location.js';
import { NullEngine } from '../null-engine.js';

const TOKEN = 'attack-bench-token-0123456789';
const target = spawnEntry(entryFile('bench/attacks/target'), [TOKEN], { stdio: ['pipe', 'pipe', 'inherit'] });
const waiting = new Map<string, (line: string) => void>();
createInterface({ input: target.stdout! }).on('line', (line) => {
  const space = line.indexOf(' ');
  waiting.get(line.slice(0, space))?.(line.slice(space + 1));
});
const answer = (key: string) => new Promise<string>((resolve) => waiting.set(key, resolve));
const url = await answer('URL');
let asked = 0;
async function stats(): Promise<Record<string, number>> {
  const n = ++asked;
  const reply = answer(`STATS${n}`);
  target.stdin!.write(`stats ${n}\n`);
  return JSON.parse(await reply) as Record<string, number>;
}
const rows: string[][] = [];
const mb = (x: number) => `${x.toFixed(0)} MB`;

async function idleFlood(count: number): Promise<void> {
  const port = Number(new URL(url).port);
  const before = await stats();
  const sockets: TcpSocket[] = [];
  let errors = 0;
  for (let i = 0; i < count; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => errors++);
    sockets.push(s);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const during = await stats();
  const joinStart = performance.now();
  const honest = await startClient({ url, token: TOKEN, engine: new NullEngine(), clientId: 'honest', reconnectionAttempts: 20 });
  const joinSeconds = (performance.now() - joinStart) / 1000;
  const after = await stats();
  await honest.close();
  sockets.forEach((s) => s.destroy());
  rows.push([
    `${count.toLocaleString('en')} idle TCP connections without a token`,
    `at most ${during.unauthenticated} held unauthenticated (${during.refusedOverLimit.toLocaleString('en')} closed over the bound); an honest client joined during the flood in ${joinSeconds.toFixed(2)} s; coordinator ${mb(before.rssMB)} -> ${mb(after.rssMB)}`,
  ]);
}

async function guessTokens(seconds: number): Promise<void> {
  const start = performance.now();
  let guesses = 0;
  let lockedAfter = 0;
  const handshake = (token: string) =>
    new Promise<string>((resolve) => {
      const s = io(url, { auth: { token, protocolVersion: PROTOCOL_VERSION }, reconnection: false, transports: ['websocket'], timeout: 20_000 });
      s.once('connect', () => (s.close(), resolve('accepted')));
      s.once('connect_error', (e: Error & { data?: { code?: string } }) => (s.close(), resolve(e.data?.code ?? e.message)));
    });
  while (performance.now() - start < seconds * 1000) {
    const answer = await handshake(`guess-${guesses}`);
    guesses++;
    if (answer === 'locked_out' && lockedAfter === 0) lockedAfter = guesses;
  }
  const right = await handshake(TOKEN);
  const elapsed = (performance.now() - start) / 1000;
  rows.push([
    `token guessing, one guess per connection, ${seconds} s`,
    `${guesses} guesses (${(guesses / elapsed).toFixed(1)}/s), each answer after the 3rd slower (doubling to 5 s); ${lockedAfter > 0 ? `locked out at guess ${lockedAfter - 1}` : 'the lockout comes at the 20th failure, about 70 s in'}; the right token after them: ${right}`,
  ]);
}

async function pollingFlood(count: number): Promise<void> {
  const before = await stats();
  const statuses = new Map<number, number>();
  for (let i = 0; i < count; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => fetch(`${url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(10_000) }).then((r) => (r.body?.cancel(), r.status), () => -1)));
    for (const s of batch) statuses.set(s, (statuses.get(s) ?? 0) + 1);
  }
  const after = await stats();
  const answers = [...statuses].map(([s, n]) => `${n.toLocaleString('en')} x ${s === -1 ? 'connection closed or timed out' : `HTTP ${s}`}`).join(', ');
  rows.push([`${count.toLocaleString('en')} long-polling handshakes without a token`, `${answers} (websocket only: no session kept); coordinator ${mb(before.rssMB)} -> ${mb(after.rssMB)}`]);
}

try {
  console.error('idle connections...');
  await idleFlood(5000);
  console.error('long-polling handshakes...');
  await pollingFlood(10_000);
  // Last: it locks this machine's address out.
  console.error('token guessing...');
  await guessTokens(15);
} finally {
  target.stdin!.write('exit\n');
}
console.log('| attack | what the coordinator did |\n| --- | --- |');
for (const [attack, result] of rows) console.log(`| ${attack} | ${result} |`);
