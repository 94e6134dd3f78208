/**
 * Domain-incremental stream for data with real domains (e.g. DomainNet's clipart,
 * painting, real, sketch): each chunk holds all samples of a contiguous run of domains,
 * in the dataset's domain order, so the stream moves from one domain to the next.
 */
import { checkInputs, checkNoEmptyChunk, classesAt, evenBounds, type SampleDomains, type StreamPlan } from './plan.js';
import type { StreamSpec } from '../scenario.js';

/** Chunk `i` takes the samples of the i-th run of domains (runs differ by at most one domain). */
export function splitByRealDomains(spec: StreamSpec, labels: Uint8Array, numClasses: number, domains: SampleDomains): StreamPlan {
  checkInputs(spec, labels, numClasses);
  if (domains.of.length !== labels.length) throw new Error(`dataset domains: ${domains.of.length} domain ids for ${labels.length} samples`);
  if (spec.styles) throw new Error('stream.styles: the dataset has real domains; styles apply only to single-domain data');
  if (spec.chunks > domains.names.length) {
    throw new Error(`stream.chunks: ${spec.chunks} chunks but the dataset has only ${domains.names.length} domains (${domains.names.join(', ')})`);
  }
  const bounds = evenBounds(domains.names.length, spec.chunks);
  const chunks = Array.from({ length: spec.chunks }, (_, id) => {
    const owned = Array.from({ length: bounds[id + 1] - bounds[id] }, (_, k) => bounds[id] + k);
    const wanted = new Set(owned);
    const picked: number[] = [];
    for (let i = 0; i < labels.length; i++) if (wanted.has(domains.of[i])) picked.push(i);
    const indices = Uint32Array.from(picked);
    return { id, indices, classes: classesAt(labels, indices), style: 'original' as const, domains: owned };
  });
  return checkNoEmptyChunk({ chunks }, 'its domains have no training samples');
}
