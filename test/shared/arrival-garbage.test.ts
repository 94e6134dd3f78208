/**
 * shared/arrival-garbage.ts: the young generation, where an arrival's read buffers wait to
 * be freed, is collected every few megabytes that arrive, not left to V8's next collection.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLECT_EVERY_BYTES, noteArrivedBytes } from '../../shared/arrival-garbage.js';
import { BlobInbox } from '../../shared/blob-inbox.js';
import { sha256Hex } from '../../shared/transfer.js';

const collections: PerformanceEntry[] = [];
const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
observer.observe({ entryTypes: ['gc'] });
afterAll(() => observer.disconnect());

/**
 * How many minor collections started while `note` ran (entries arrive after it,
 * asynchronously; V8 may report the weak callbacks a collection ran as entries of their own).
 */
async function minorCollectionsDuring(note: () => void): Promise<number> {
  const start = performance.now();
  note();
  const end = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const kindOf = (e: PerformanceEntry) => (e as PerformanceEntry & { detail: { kind: number } }).detail.kind;
  return collections.filter((e) => e.startTime >= start && e.startTime <= end && kindOf(e) === constants.NODE_PERFORMANCE_GC_MINOR).length;
}

describe('the read buffers of an arrival', () => {
  it('are collected (a minor collection) once the bytes noted reach the interval, and not before', async () => {
    await minorCollectionsDuring(() => noteArrivedBytes(COLLECT_EVERY_BYTES)); // the count starts from zero
    expect(await minorCollectionsDuring(() => noteArrivedBytes(COLLECT_EVERY_BYTES / 2))).toBe(0);
    expect(await minorCollectionsDuring(() => noteArrivedBytes(COLLECT_EVERY_BYTES / 2 - 1))).toBe(0);
    expect(await minorCollectionsDuring(() => noteArrivedBytes(1))).toBe(1);
    // Bytes noted in one piece larger than the interval count once.
    expect(await minorCollectionsDuring(() => noteArrivedBytes(3 * COLLECT_EVERY_BYTES))).toBe(1);
    expect(await minorCollectionsDuring(() => noteArrivedBytes(COLLECT_EVERY_BYTES - 1))).toBe(0);
  });

  it('are counted by the inbox a blob arrives in', async () => {
    await minorCollectionsDuring(() => noteArrivedBytes(COLLECT_EVERY_BYTES)); // the count starts from zero
    const bytes = new Uint8Array(2 * COLLECT_EVERY_BYTES).map((_, i) => i % 251);
    const reads = Array.from({ length: bytes.length / (64 << 10) }, (_, k) => Buffer.from(bytes.subarray(k * (64 << 10), (k + 1) * (64 << 10))));
    const inbox = new BlobInbox();
    expect(inbox.open({ id: 'b1', size: bytes.length, sha256: sha256Hex(bytes) })).toEqual({ ok: true });
    // Two for its 4 MB (one more if V8 collected on its own meanwhile; none without the inbox's counting).
    expect(await minorCollectionsDuring(() => reads.forEach((read, k) => inbox.append('b1', read, k * read.byteLength)))).toBeGreaterThanOrEqual(2);
    expect(inbox.finish('b1')).toEqual({ ok: true });
  });
});
