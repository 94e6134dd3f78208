/**
 * MAS as a regularizer: importances from the representation's sensitivity (see mas.ts),
 * accumulated over finished chunks, with anchors where each chunk left the weights.
 */
import type { ParamArrays } from '../../shared/state/arrays.js';
import type { Params } from '../models/params.js';
import { AnchoredRegularizer } from './anchored-regularizer.js';
import { masImportance } from './mas.js';
import type { AfterStageContext, RegularizerSettings, RegularizerState } from './regularizer.js';

export class MasRegularizer extends AnchoredRegularizer {
  constructor(options: RegularizerSettings, online: Params, state: RegularizerState | null) {
    super(options, online, state, 'importance', 'MAS');
  }

  protected measure({ online, backbone, plainBatches }: AfterStageContext): Promise<ParamArrays> {
    return masImportance(online, backbone, plainBatches());
  }
}
