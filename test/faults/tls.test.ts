/**
 * TLS: a coordinator serving https with a self-signed certificate made here; clients that
 * trust it (`--ca`, or NODE_EXTRA_CA_CERTS) join and run tasks, clients that do not are
 * refused at once with a message saying what to do; an unusable certificate stops
 * `serve` before it listens. The processes are the real `streamssl serve` and
 * `streamssl client` commands (and client processes with a fake engine).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ClientStartError, startClient, type ClientHandle } from '../../client/connection.js';
import type { Coordinator } from '../../server/net/coordinator.js';
import { planArm } from '../../server/schedule/index.js';
import { spawnClients } from '../../server/clients/spawn.js';
import { readTlsCredentials, type TlsCredentials } from '../../server/net/tls.js';
import { spawnCli, type CliProcess } from '../support/cli-process.js';
import { startTestCoordinator, TEST_TOKEN } from '../support/coordinator.js';
import { FakeEngine, readFakeState } from '../support/fake-engine.js';
import { tinyScenario } from '../support/scenario.js';
import { selfSignedCertificate } from '../support/tls-cert.js';

const fakeClientEntry = fileURLToPath(new URL('../support/fake-client-main.ts', import.meta.url));

describe('TLS between the coordinator and its clients', () => {
  let certificate: TlsCredentials;
  let stranger: TlsCredentials;
  let dir: string;
  let coordinator: Coordinator | undefined;
  const handles: ClientHandle[] = [];
  const processes: CliProcess[] = [];
  beforeAll(() => {
    certificate = selfSignedCertificate();
    stranger = selfSignedCertificate('someone else');
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamssl-tls-'));
    await writeFile(join(dir, 'cert.pem'), certificate.cert);
    await writeFile(join(dir, 'key.pem'), certificate.key);
    await writeFile(join(dir, 'stranger.pem'), stranger.cert);
  });
  afterEach(async () => {
    processes.splice(0).forEach((p) => p.kill());
    await Promise.all(handles.splice(0).map((h) => h.close()));
    await coordinator?.close();
    coordinator = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a task over https with a client that trusts the certificate', async () => {
    coordinator = await startTestCoordinator({ tls: certificate });
    expect(coordinator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    handles.push(await startClient({ url: coordinator.url, token: TEST_TOKEN, ca: certificate.cert, engine: new FakeEngine({ stateBytes: 2_000_000 }), clientId: 'tls' }));
    const scenario = tinyScenario();
    const [first] = planArm({ scenario, arm: scenario.arms[0], chunkSizes: [100, 110, 120] });
    const outcome = await (await coordinator.registry.acquire()).runTask(first, null, null);
    expect(readFakeState(outcome.state!).history.map((h) => h.stage)).toEqual([0]);
  });

  it('refuses at once a client that does not trust the certificate, saying what to do', async () => {
    coordinator = await startTestCoordinator({ tls: certificate });
    const started = Date.now();
    for (const ca of [undefined, stranger.cert]) {
      const err = await startClient({ url: coordinator.url, token: TEST_TOKEN, ca, engine: new FakeEngine() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClientStartError);
      expect((err as ClientStartError).code).toBe('untrusted_certificate');
      expect((err as ClientStartError).message).toMatch(ca ? /does not trust \(self-signed certificate\): the certificate given with --ca does not vouch for it/ : /pass its certificate with --ca FILE \(or set NODE_EXTRA_CA_CERTS\)/);
    }
    expect(Date.now() - started).toBeLessThan(5000); // no reconnection attempts
    expect(coordinator.registry.size).toBe(0);
  });

  it('refuses a certificate that cannot be read, or whose key is not its own', async () => {
    expect(() => readTlsCredentials({ cert: join(dir, 'missing.pem'), key: join(dir, 'key.pem') })).toThrow(/^cannot read the TLS certificate .*missing\.pem: ENOENT/);
    await writeFile(join(dir, 'other-key.pem'), stranger.key);
    expect(() => readTlsCredentials({ cert: join(dir, 'cert.pem'), key: join(dir, 'other-key.pem') })).toThrow(/are not a usable TLS certificate and private key .*key values mismatch/);
    await expect(startTestCoordinator({ tls: { cert: 'not a certificate', key: certificate.key } })).rejects.toThrow(/not a usable TLS certificate/);
    const scenarioPath = join(dir, 'scenario.json');
    await writeFile(scenarioPath, JSON.stringify(tinyScenario()));
    const serveBadCert = spawnCli(['serve', scenarioPath, '--port', '0', '--token', TEST_TOKEN, '--cert', join(dir, 'missing.pem'), '--key', join(dir, 'key.pem')]);
    processes.push(serveBadCert);
    expect(await serveBadCert.exited).toBe(2);
    expect(serveBadCert.output()).toMatch(/serve: cannot read the TLS certificate .*missing\.pem/);
    const serveHalf = spawnCli(['serve', scenarioPath, '--port', '0', '--token', TEST_TOKEN, '--cert', join(dir, 'cert.pem')]);
    processes.push(serveHalf);
    expect(await serveHalf.exited).toBe(2);
    expect(serveHalf.output()).toMatch(/--cert and --key go together/);
  });

  it('`streamssl client --ca` joins an https coordinator; without it the client exits with code 2', async () => {
    coordinator = await startTestCoordinator({ tls: certificate });
    const env = { STREAMSSL_TOKEN: TEST_TOKEN, STREAMSSL_LOG: 'info' };
    const refused = spawnCli(['client', '--server', coordinator.url, '--backend', 'cpu', '--client-id', 'no-ca'], env);
    processes.push(refused);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(/presented a certificate this client does not trust .*--ca FILE/);

    const trusting = spawnCli(['client', '--server', coordinator.url, '--ca', join(dir, 'cert.pem'), '--backend', 'cpu', '--client-id', 'with-ca'], env);
    processes.push(trusting);
    await trusting.waitFor(/joined the coordinator/, 60_000);
    expect(coordinator.registry.list().map((c) => c.id)).toEqual(['with-ca']);
    await coordinator.close(); // ends the session: the client exits normally
    coordinator = undefined;
    expect(await trusting.exited).toBe(0);
    expect(refused.output() + trusting.output()).not.toContain(TEST_TOKEN);
  });

  it('`streamssl serve --cert --key` runs a scenario with a client process that trusts it through NODE_EXTRA_CA_CERTS', async () => {
    const scenarioPath = join(dir, 'scenario.json');
    await writeFile(scenarioPath, JSON.stringify(tinyScenario({ arms: [{ name: 'relay', mode: 'relay' }] })));
    const out = join(dir, 'run');
    const serve = spawnCli(
      ['serve', scenarioPath, '--host', '127.0.0.1', '--port', '0', '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--min-clients', '1', '--out', out],
      { STREAMSSL_TOKEN: TEST_TOKEN, STREAMSSL_LOG: 'info' },
    );
    processes.push(serve);
    const [, url] = await serve.waitFor(/--server (https:\/\/127\.0\.0\.1:\d+) --token <token> \[--ca/, 60_000);
    const clients = spawnClients({
      count: 1,
      serverUrl: url,
      token: TEST_TOKEN,
      backend: 'cpu',
      logDir: join(dir, 'logs'),
      entry: fakeClientEntry,
      env: { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), STREAMSSL_FAKE_FITTING: '1' },
    });
    try {
      expect(await serve.exited).toBe(0);
      const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as { arms: { final: { steps: number } }[] };
      expect(results.arms).toHaveLength(1);
      expect(serve.output()).not.toContain(TEST_TOKEN);
      expect(await readFile(join(dir, 'logs', 'client-0.log'), 'utf8')).not.toContain(TEST_TOKEN);
    } finally {
      await clients.stop(2000);
    }
  });
});
