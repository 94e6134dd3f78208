/**
 * A task's convolution algorithm (the scenario's `model.convolutions`), set for the
 * task and put back to direct after it: the kernels' choice is process-wide, and the
 * next task may belong to another scenario.
 */
import { useWinogradConvolutions } from '../kernels/native/conv-algorithm.js';
import type { ConvAlgorithm } from '../../shared/scenario.js';

/** Every later convolution computes as a scenario's `model.convolutions` asks (absent: direct). */
export function useConvolutions(algorithm: ConvAlgorithm | undefined): void {
  useWinogradConvolutions(algorithm === 'winograd' ? 'where-faster' : 'never');
}

export async function withConvolutions<T>(algorithm: ConvAlgorithm | undefined, run: () => Promise<T>): Promise<T> {
  useConvolutions(algorithm);
  try {
    return await run();
  } finally {
    useConvolutions('direct');
  }
}
