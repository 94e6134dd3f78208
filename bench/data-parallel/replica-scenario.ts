/**
 * A replica's scenario: the same run with its part of the batch. Ghost batch norm's
 * groups are split with it, so each replica holds whole groups of the batch's size and
 * computes the statistics the whole step would.
 *
 * Only methods whose loss is a mean of per-sample terms split this way (the mean of the
 * parts' gradients is then the batch's): SimCLR's negatives are the batch's other samples
 * and Barlow Twins normalizes its cross-correlation over the batch, so their parts would
 * train another loss. MoCo's queue is per replica here (each enqueues its own keys): the
 * same work a step, with the negatives of one part's history.
 */
import type { Scenario } from '../../shared/scenario.js';

/** Methods whose loss couples the samples of a batch. */
const BATCH_COUPLED = new Set<string>(['simclr', 'barlow-twins']);

export function replicaScenario(scenario: Scenario, replicas: number): Scenario {
  const { batchSize } = scenario.training;
  const groups = scenario.ssl.bnGroups;
  if (BATCH_COUPLED.has(scenario.ssl.method)) throw new Error(`ssl.method ${scenario.ssl.method} couples the samples of a batch in its loss: a data-parallel step of its parts trains another loss`);
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`replicas must be a positive integer, got ${replicas}`);
  if (batchSize % replicas !== 0) throw new Error(`training.batchSize ${batchSize} does not split into ${replicas} equal parts`);
  if (groups % replicas !== 0) throw new Error(`ssl.bnGroups ${groups} does not split into ${replicas} replicas: each must hold whole batch-norm groups`);
  const copy = structuredClone(scenario);
  copy.training.batchSize = batchSize / replicas;
  copy.ssl.bnGroups = groups / replicas;
  return copy;
}
