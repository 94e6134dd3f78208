/**
 * Damages the data of WebSocket binary frames in one direction of a TCP byte stream while
 * leaving the framing intact, as a faulty network would: socket.io then delivers a blob
 * chunk with wrong bytes, and only the blob's hash can tell. The stream is parsed as it
 * passes: HTTP until the upgrade, then frames (RFC 6455 headers). A connection that is not
 * upgraded (long-polling) passes untouched. A masked frame (client to server) is damaged
 * all the same: inverting a masked byte inverts the unmasked one.
 */

/** Decides, per binary frame (by its payload length), whether to damage it. */
export type DamagePolicy = (payloadBytes: number) => boolean;

export class WebSocketTamper {
  private mode: 'http' | 'frames' | 'passthrough' = 'http';
  private httpHead = '';
  private header: number[] = [];
  private payloadLeft = 0;
  /** Offset still to go, within the current payload, to the byte to invert; -1 for none. */
  private damageIn = -1;

  constructor(private readonly damage: DamagePolicy) {}

  /** Passes `chunk` on: a copy, with a byte inverted in each frame the policy picked. */
  process(chunk: Buffer): Buffer {
    if (this.mode === 'passthrough') return chunk;
    const out = Buffer.from(chunk);
    let i = 0;
    if (this.mode === 'http') {
      this.httpHead += out.toString('latin1');
      const end = this.httpHead.indexOf('\r\n\r\n');
      if (end < 0) return out;
      const upgraded = /^HTTP\/1\.1 101/.test(this.httpHead) || /\r\nupgrade: websocket\r\n/i.test(this.httpHead);
      this.mode = upgraded ? 'frames' : 'passthrough';
      i = out.length - (this.httpHead.length - end - 4);
      this.httpHead = '';
      if (!upgraded) return out;
    }
    while (i < out.length) {
      if (this.payloadLeft === 0) {
        this.header.push(out[i++]);
        this.headerDone();
        continue;
      }
      const n = Math.min(this.payloadLeft, out.length - i);
      if (this.damageIn >= 0 && this.damageIn < n) out[i + this.damageIn] ^= 0xff;
      this.damageIn = this.damageIn >= 0 ? this.damageIn - n : -1;
      this.payloadLeft -= n;
      i += n;
    }
    return out;
  }

  /** Once the frame header is complete, sets up its payload. */
  private headerDone(): void {
    const h = this.header;
    if (h.length < 2) return;
    const length7 = h[1] & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    const masked = (h[1] & 0x80) !== 0;
    if (h.length < 2 + extended + (masked ? 4 : 0)) return;
    let length = length7;
    if (extended) {
      length = 0;
      for (let k = 0; k < extended; k++) length = length * 256 + h[2 + k];
    }
    const binary = (h[0] & 0x0f) === 2;
    this.header = [];
    this.payloadLeft = length;
    this.damageIn = binary && length > 0 && this.damage(length) ? Math.floor(length / 2) : -1;
  }
}
