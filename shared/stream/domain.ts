/**
 * Domain-incremental stream for single-domain data: a random equal split of the samples
 * where each chunk is shown in its own style, standing in for a change of domain.
 */
import { deriveSeed, shuffledIndices } from '../random.js';
import { DOMAIN_STYLES } from '../scenario.js';
import { checkInputs, splitIndicesEvenly, type DomainStyle, type Splitter } from './plan.js';

/** Styles of the chunks: `stream.styles`, else DOMAIN_STYLES cycled. */
export function domainStyles(chunks: number, styles?: readonly DomainStyle[]): DomainStyle[] {
  if (!styles) return Array.from({ length: chunks }, (_, i) => DOMAIN_STYLES[i % DOMAIN_STYLES.length]);
  if (styles.length !== chunks) throw new Error(`stream.styles: needs one style per chunk (${chunks}), got ${styles.length}`);
  styles.forEach((s, i) => {
    if (!DOMAIN_STYLES.includes(s)) throw new Error(`stream.styles[${i}]: unknown style "${s}" (one of ${DOMAIN_STYLES.join(', ')})`);
  });
  return [...styles];
}

/** Random equal split of the samples, chunk `i` in style `styles[i]`. */
export const splitDomain: Splitter = (spec, labels, numClasses, seed) => {
  checkInputs(spec, labels, numClasses);
  if (spec.chunks > labels.length) {
    throw new Error(`stream.chunks: ${spec.chunks} chunks but only ${labels.length} samples`);
  }
  const styles = domainStyles(spec.chunks, spec.styles);
  const order = shuffledIndices(labels.length, deriveSeed(seed, 'stream', 'domain'));
  return splitIndicesEvenly(order, spec.chunks, labels, styles);
};
