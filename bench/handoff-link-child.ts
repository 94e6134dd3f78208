/**
 * Child of the `--handoff-link` bench, started inside the coordinator's test host
 * (`ip netns exec`): runs one hand-off (bench/handoff.ts) whose coordinator binds the
 * host's address and whose two clients start on the two other hosts. Prints the result
 * as a result line.
 *
 *   node --import tsx bench/handoff-link-child.ts JSON
 *   JSON: {config, transfer, coordinator: {address}, clients: [{namespace}, {namespace}]}
 */
import type { TransferSpec } from '../shared/wire/transfer-spec.js';
import { startChild, RESULT_PREFIX, type Child } from './child.js';
import { MODEL_CONFIGS, type ConfigName } from './configs.js';
import { measureHandoff } from './handoff.js';

export interface LinkChildInput {
  config: ConfigName;
  transfer: TransferSpec;
  coordinatorAddress: string;
  clientNamespaces: [string, string];
}

/** `startChild`, on the test host of network namespace `ns`. */
function startInNamespace(ns: string, entry: string, args: string[], env: NodeJS.ProcessEnv): Child {
  return startChild(entry, args, env, (argv) => ['ip', 'netns', 'exec', ns, ...argv]);
}

const input = JSON.parse(process.argv[2] ?? '{}') as LinkChildInput;
const result = await measureHandoff({
  config: input.config,
  model: MODEL_CONFIGS[input.config],
  transfer: input.transfer,
  host: input.coordinatorAddress,
  spawnClient: (entry, args, env, index) => startInNamespace(input.clientNamespaces[index], entry, args, env),
});
process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
