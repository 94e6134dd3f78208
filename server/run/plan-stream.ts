/**
 * Asks clients for the stream plan (the chunk sizes every arm's stages are counted from):
 * one client computes it, the plan is checked against the scenario (./plan-check.ts), and
 * when another client is connected, or joins within a short wait, it computes the plan too
 * and the two must agree. Nothing is returned, so nothing is journaled, from a plan that is
 * malformed or disputed.
 */
import type { Logger } from '../../shared/log.js';
import type { PlanTask, StreamSummary } from '../../shared/protocol.js';
import { splitSeedOf, type Scenario } from '../../shared/scenario.js';
import type { ClientPool, TaskEnd } from '../clients/pool.js';
import { TaskError } from '../net/remote-client.js';
import { checkPlan, DEFAULT_PLAN_LIMITS, PlanError, planDifference, type PlanLimits } from './plan-check.js';
import { isLostClient, runWithRetries, type RetryPolicy } from './retry.js';

export interface PlanStreamOptions {
  retry: RetryPolicy;
  logger: Logger;
  /** How long to wait for a second client to check the plan when only one is connected (0: ask only one already there). */
  secondOpinionWaitMs: number;
  limits?: PlanLimits;
}

/** The stream plan, checked (and confirmed by a second client when there is one); throws naming what was refused. */
export async function planStream(pool: ClientPool, scenario: Scenario, o: PlanStreamOptions): Promise<StreamSummary> {
  const task: PlanTask = { kind: 'plan', taskId: 'stream:plan', seed: splitSeedOf(scenario), dataset: scenario.dataset, stream: scenario.stream };
  const limits = o.limits ?? DEFAULT_PLAN_LIMITS;
  let first: { metrics: StreamSummary; clientId: string };
  try {
    first = await runWithRetries(pool, task, null, null, o.retry, { logger: o.logger });
  } catch (err) {
    throw new Error(`the stream plan failed: ${(err as Error).message}`, { cause: err });
  }
  checkPlan(first.metrics, scenario, first.clientId, limits);
  const summary = first.metrics;
  if (summary.skippedFiles) o.logger.warn({ skipped: summary.skippedFiles.count, examples: summary.skippedFiles.examples }, 'unreadable image files were skipped');

  const second = await secondOpinion(pool, { ...task, taskId: 'stream:plan:check' }, first.clientId, o);
  if (!second) {
    o.logger.info({ client: first.clientId }, 'stream plan checked; no second client to confirm it');
    return summary;
  }
  checkPlan(second.metrics, scenario, second.clientId, limits);
  const difference = planDifference(summary, second.metrics);
  if (difference) {
    throw new PlanError(`the stream plans of clients ${first.clientId} and ${second.clientId} disagree (${difference}); one of them holds other data or is not honest, so neither is used`);
  }
  o.logger.info({ clients: [first.clientId, second.clientId] }, 'stream plan checked and confirmed by a second client');
  return summary;
}

/**
 * The plan as another client than `firstId` computes it, or null when no other client came
 * within the wait or it was lost on the way (the first plan, checked, then stands alone).
 * A task that the client itself failed is a refusal: a client that cannot plan the stream
 * cannot be taken to confirm it.
 */
async function secondOpinion(pool: ClientPool, task: PlanTask, firstId: string, o: PlanStreamOptions): Promise<{ metrics: StreamSummary; clientId: string } | null> {
  let client;
  try {
    client = await pool.acquire({ except: firstId, noClientsTimeoutMs: o.secondOpinionWaitMs });
  } catch {
    return null;
  }
  let end: TaskEnd = 'failed';
  try {
    // A pool that cannot exclude (a test's) may hand back the first client: no second opinion then.
    if (client.id === firstId) {
      end = 'done';
      return null;
    }
    const outcome = await client.runTask(task, null, null);
    end = 'done';
    return { metrics: outcome.metrics, clientId: client.id };
  } catch (err) {
    if (isLostClient(err)) {
      if (err instanceof TaskError && err.code === 'timeout') end = 'unresponsive';
      o.logger.warn({ client: client.id, err: (err as Error).message }, 'the second client asked for the stream plan was lost; the first plan stands');
      return null;
    }
    throw new PlanError(`client ${client.id}, asked to confirm the stream plan of client ${firstId}, failed: ${(err as Error).message}`);
  } finally {
    pool.release(client, end);
  }
}
