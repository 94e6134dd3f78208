/**
 * Regularizers by name: one factory per name of REGULARIZER_NAMES. Plain map: nothing
 * registers itself on import.
 */
import type { RegularizerName } from '../../shared/continual-names.js';
import type { Params } from '../models/params.js';
import { DistillRegularizer } from './distill-regularizer.js';
import { EwcRegularizer } from './ewc-regularizer.js';
import { MasRegularizer } from './mas-regularizer.js';
import type { Regularizer, RegularizerContext, RegularizerSettings, RegularizerState } from './regularizer.js';

/** Builds a regularizer for a stage, from the state the last stage left (null: the arm's first). */
export type RegularizerFactory = (options: RegularizerSettings, online: Params, state: RegularizerState | null, ctx: RegularizerContext) => Regularizer;

/** Regularizer factories by name: the built-in REGULARIZERS, or a registry that adds to it (a test's own). */
export type RegularizerRegistry = Readonly<Record<string, RegularizerFactory>>;

export const REGULARIZERS: { readonly [N in RegularizerName]: RegularizerFactory } = {
  mas: (options, online, state) => new MasRegularizer(options, online, state),
  ewc: (options, online, state) => new EwcRegularizer(options, online, state),
  distill: (options, online, state, ctx) => new DistillRegularizer(options, online, state, ctx),
};

/** The regularizer `options.name` names, built by its factory in `registry`. */
export function createRegularizer(
  options: RegularizerSettings,
  online: Params,
  state: RegularizerState | null,
  ctx: RegularizerContext,
  registry: RegularizerRegistry = REGULARIZERS,
): Regularizer {
  const factory = Object.hasOwn(registry, options.name) ? registry[options.name] : undefined;
  if (!factory) throw new Error(`regularizer: unknown regularizer "${options.name}" (one of ${Object.keys(registry).join(', ')})`);
  return factory(options, online, state, ctx);
}
