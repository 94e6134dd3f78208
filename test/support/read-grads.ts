/** Test helper: a value and its gradients (tf.variableGrads's result) read out as arrays, then disposed. */
import * as tf from '@tensorflow/tfjs-core';

export async function readGrads(result: { value: tf.Scalar; grads: tf.NamedTensorMap }): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = { value: Array.from(await result.value.data()) };
  for (const [name, g] of Object.entries(result.grads)) out[name] = Array.from(await g.data());
  tf.dispose([result.value, ...Object.values(result.grads)]);
  return out;
}
