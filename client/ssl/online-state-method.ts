/**
 * The state of a method that keeps nothing but its online weights (SimCLR, SimSiam,
 * Barlow Twins, the supervised baseline): exported, checked on import and freed as one
 * part, `online`.
 */
import type { MethodState } from '../../shared/state/arrays.js';
import { disposeParams, type Params } from '../models/params.js';
import { exportParts, importParts } from './state-parts.js';

export abstract class OnlineStateMethod {
  abstract readonly online: Params;
  /** The method's name in state errors. */
  protected abstract readonly stateName: string;

  exportState(): Promise<MethodState> {
    return exportParts({ online: this.online });
  }

  importState(state: MethodState): void {
    importParts(this.stateName, state, { online: this.online });
  }

  dispose(): void {
    disposeParams(this.online);
  }
}
