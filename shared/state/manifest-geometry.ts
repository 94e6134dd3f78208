/**
 * The model geometry (input channels, classes) to check a returned state against, when
 * the dataset spec does not say it (an idx folder's channels, a folder's classes): read
 * off the state's own first convolution and classifier, within the bounds any dataset
 * keeps; the manifest then holds every other array to it. And the range of geometries a
 * state's size may be measured for before it is decoded.
 */
import { MAX_CHANNELS, MAX_CLASSES, type DatasetGeometry } from '../dataset-geometry.js';
import { isRecord } from './arrays.js';
import type { ModelGeometry } from './manifest.js';

/** The smallest and the largest geometry the known one leaves possible. */
export function geometryRange(known: DatasetGeometry): { low: ModelGeometry; high: ModelGeometry } {
  return {
    low: { channels: known.channels ?? 1, numClasses: known.numClasses ?? 1 },
    high: { channels: known.channels ?? MAX_CHANNELS, numClasses: known.numClasses ?? MAX_CLASSES },
  };
}

/**
 * The geometry of decoded state `raw`: what `known` says, the rest read off the online
 * stem's kernel [3, 3, channels, width] and the classifier [features, classes]. A value
 * that cannot be read, or is out of bounds, falls back to the smallest: the manifest's
 * check then names the array whose shape is wrong.
 */
export function stateGeometry(known: DatasetGeometry, raw: unknown): ModelGeometry {
  const { low, high } = geometryRange(known);
  const online = isRecord(raw) && isRecord(raw.methodState) && isRecord(raw.methodState.online) ? raw.methodState.online : {};
  const dim = (name: string, axis: number, min: number, max: number): number => {
    const entry = online[name];
    const value = isRecord(entry) && Array.isArray(entry.shape) ? entry.shape[axis] : undefined;
    return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : min;
  };
  return {
    channels: known.channels ?? dim('backbone.stem.w', 2, low.channels, high.channels),
    numClasses: known.numClasses ?? dim('classifier.w', 1, low.numClasses, high.numClasses),
  };
}
