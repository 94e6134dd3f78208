/**
 * Domain-incremental stream. For single-domain data: a random equal split of the samples
 * where each chunk is shown in its own style, standing in for a change of domain. Data
 * with real domains is split by domain instead (./real-domain.ts).
 */
import { deriveSeed, shuffledIndices } from '../random.js';
import { DOMAIN_STYLES } from '../scenario.js';
import { checkInputs, dealIndices, type DomainStyle, type Splitter } from './plan.js';
import { splitByRealDomains } from './real-domain.js';
import { chunkSizes } from './sizes.js';

/** Styles of the chunks: `stream.styles`, else DOMAIN_STYLES cycled. */
export function domainStyles(chunks: number, styles?: readonly DomainStyle[]): DomainStyle[] {
  if (!styles) return Array.from({ length: chunks }, (_, i) => DOMAIN_STYLES[i % DOMAIN_STYLES.length]);
  if (styles.length !== chunks) throw new Error(`stream.styles: needs one style per chunk (${chunks}), got ${styles.length}`);
  styles.forEach((s, i) => {
    if (!DOMAIN_STYLES.includes(s)) throw new Error(`stream.styles[${i}]: unknown style "${s}" (one of ${DOMAIN_STYLES.join(', ')})`);
  });
  return [...styles];
}

/** By real domain when the data has them; else a random equal split, chunk `i` in style `styles[i]`. */
export const splitDomain: Splitter = (spec, labels, numClasses, seed, _superclasses, domains) => {
  if (domains) return splitByRealDomains(spec, labels, numClasses, domains);
  checkInputs(spec, labels, numClasses);
  const sizes = chunkSizes(spec, labels.length);
  const styles = domainStyles(spec.chunks, spec.styles);
  const order = shuffledIndices(labels.length, deriveSeed(seed, 'stream', 'domain'));
  return dealIndices(order, sizes, labels, styles);
};
