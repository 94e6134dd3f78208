/**
 * Damages HTTP message bodies in one direction of a TCP byte stream while leaving the
 * messages intact, as a faulty network would: a blob's bytes (shared/blob-http.ts) arrive
 * with one byte inverted, and only the blob's hash can tell. Messages are parsed as they
 * pass (heads, then `content-length` bytes of body; keep-alive connections carry several).
 * Only messages with a `content-length` are seen as having a body, which is all the blob
 * endpoints send (an answer to HEAD carries none).
 */
import type { DamagePolicy } from './websocket-tamper.js';

export class HttpBodyTamper {
  private head = '';
  private bodyLeft = 0;
  /** Offset still to go, within the current body, to the byte to invert; -1 for none. */
  private damageIn = -1;

  constructor(private readonly damage: DamagePolicy) {}

  /** Passes `chunk` on: a copy, with a byte inverted in each body the policy picked. */
  process(chunk: Buffer): Buffer {
    const out = Buffer.from(chunk);
    let i = 0;
    while (i < out.length) {
      if (this.bodyLeft === 0) {
        const before = this.head.length;
        this.head += out.subarray(i).toString('latin1');
        const end = this.head.indexOf('\r\n\r\n');
        if (end < 0) return out;
        i += end + 4 - before;
        const isHeadAnswer = /^HTTP\/1\.1 (1\d\d|204|304)/.test(this.head) || /^HEAD /.test(this.head);
        const length = isHeadAnswer ? 0 : Number(/\r\ncontent-length:\s*(\d+)/i.exec(this.head)?.[1] ?? 0);
        this.head = '';
        this.bodyLeft = length;
        this.damageIn = length > 0 && this.damage(length) ? Math.floor(length / 2) : -1;
        continue;
      }
      const take = Math.min(this.bodyLeft, out.length - i);
      if (this.damageIn >= 0 && this.damageIn < take) {
        out[i + this.damageIn] ^= 0xff;
        this.damageIn = -1;
      } else if (this.damageIn >= 0) this.damageIn -= take;
      this.bodyLeft -= take;
      i += take;
    }
    return out;
  }
}
