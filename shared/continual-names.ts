/**
 * The names of the continual-learning extension points, each declared once: the scenario
 * schema, the task types, the protocol's schemas and the client's registries all derive
 * from these lists.
 */

/** How an arm treats earlier chunks' data: forget it (`fine-tune`) or keep a replay buffer. */
export const STRATEGY_NAMES = ['fine-tune', 'replay'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** How a replay buffer picks its samples (see client/continual/replay.ts). */
export const REPLAY_SELECTIONS = ['random', 'reservoir'] as const;
export type ReplaySelection = (typeof REPLAY_SELECTIONS)[number];

/** Parameter regularizers (client/continual/regularizers.ts has one factory per name). */
export const REGULARIZER_NAMES = ['mas', 'ewc', 'distill'] as const;
export type RegularizerName = (typeof REGULARIZER_NAMES)[number];
