/**
 * The models of a finished run, as the analyses need them: each arm's stage states read
 * from the run's checkpoints and restored into the scenario's method, plus the shared
 * random initialization. The states are decoded once and kept; a method is built on
 * demand and disposed by the caller, so only the models in use hold tensors.
 */
import { RANDOM_INIT_MODEL, stageModelName } from '../../shared/analysis.js';
import { decodeState, type ModelState } from '../../shared/state/model-state.js';
import type { AnalysisArm, AnalysisOptions } from '../../shared/tasks.js';
import { modelSeed } from '../engine/index.js';
import { restoreMethod } from '../engine/trainer.js';
import { encoderOptions, type EncoderOptions } from '../models/encoder.js';
import type { SslMethod } from '../ssl/method.js';

/** Reads the model state an arm saved after a stage (the run's checkpoint). */
export type StateReader = (arm: string, stage: number) => Promise<Uint8Array>;

/** What the analyses need to know of a run's arms. */
export type RunArm = AnalysisArm;

export class RunModels {
  readonly encoder: EncoderOptions;
  private readonly states = new Map<string, ModelState | null>();

  constructor(
    private readonly readState: StateReader,
    private readonly scenario: Pick<AnalysisOptions, 'seed' | 'model' | 'ssl'>,
    readonly arms: readonly RunArm[],
    data: { channels: number; numClasses: number },
  ) {
    this.encoder = encoderOptions(scenario.model, data.channels, data.numClasses);
    for (const arm of arms) {
      if (arm.stages.length === 0) throw new Error(`arm ${arm.name}: results.json lists no finished stage to analyze`);
    }
  }

  /** The model an arm ends with. */
  finalName(arm: RunArm): string {
    return stageModelName(arm.name, arm.stages[arm.stages.length - 1].stage);
  }

  /** The first reference (joint) arm's final model: what relay stages are compared against. */
  jointName(): string | null {
    const joint = this.arms.find((a) => a.reference);
    return joint ? this.finalName(joint) : null;
  }

  /** Restores the model `name` (`random-init` or `<arm>/stage-<k>`); the caller disposes it. */
  async open(name: string): Promise<SslMethod> {
    try {
      return this.restore(await this.state(name));
    } catch (err) {
      throw new Error(`model ${name}: ${(err as Error).message}`);
    }
  }

  /** A model of the run's method from a state (null: the random initialization); the caller disposes it. */
  restore(state: ModelState | null): SslMethod {
    return restoreMethod({ ssl: this.scenario.ssl, encoder: this.encoder, modelSeed: modelSeed(this.scenario.seed) }, state);
  }

  /** The decoded state of `name`, null for the random initialization. */
  async state(name: string): Promise<ModelState | null> {
    if (this.states.has(name)) return this.states.get(name)!;
    let state: ModelState | null = null;
    if (name !== RANDOM_INIT_MODEL) {
      const { arm, stage } = parseModelName(name);
      if (!this.arms.some((a) => a.name === arm && a.stages.some((s) => s.stage === stage))) throw new Error(`model ${name}: no such arm stage in this run`);
      let bytes: Uint8Array;
      try {
        bytes = await this.readState(arm, stage);
      } catch (err) {
        throw new Error(`model ${name}: cannot read its checkpoint (${(err as Error).message})`);
      }
      try {
        state = decodeState(bytes);
      } catch (err) {
        throw new Error(`model ${name}: its checkpoint is damaged: ${(err as Error).message}`);
      }
    }
    this.states.set(name, state);
    return state;
  }
}

function parseModelName(name: string): { arm: string; stage: number } {
  const match = /^(.+)\/stage-(\d+)$/.exec(name);
  if (!match) throw new Error(`model name "${name}" is neither "${RANDOM_INIT_MODEL}" nor "<arm>/stage-<k>"`);
  return { arm: match[1], stage: Number(match[2]) };
}
