// Frames of a decrypted Initial packet (RFC 9000 §12.4, §19): an Initial may carry only
// PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE. Anything else, or a frame cut short,
// stops the walk and is reported (the packet's earlier frames still count).

import { readVarint, varintEnd } from './transport-params.js';

export interface ConnectionClose {
  /** 0x1c: transport error; 0x1d: application error */
  application: boolean;
  errorCode: number;
  /** transport close: type of the frame that caused it */
  frameType: number;
  reason: string;
}

export interface FrameSink {
  crypto(streamOffset: number, buf: Buffer, off: number, len: number): void;
  connectionClose(c: ConnectionClose): void;
}

const MAX_REASON = 128;

/**
 * Walks the frames in [off, end). Returns null when every frame was understood, else a
 * reason ('frame-truncated', 'frame-type-0x..-in-initial').
 */
export function parseInitialFrames(buf: Buffer, off: number, end: number, sink: FrameSink): string | null {
  let p = off;
  while (p < end) {
    const type = readVarint(buf, p, end);
    if (type < 0) return 'frame-truncated';
    p = varintEnd;
    switch (type) {
      case 0x00: // PADDING: usually a long run
        while (p < end && buf[p] === 0) p++;
        break;
      case 0x01: // PING
        break;
      case 0x02:
      case 0x03: {
        // ACK: largest, delay, range count, first range, ranges, (0x03) ECN counts
        const fields = [0, 0, 0, 0];
        for (let i = 0; i < 4; i++) {
          fields[i] = readVarint(buf, p, end);
          if (fields[i] < 0) return 'frame-truncated';
          p = varintEnd;
        }
        const ranges = fields[2];
        const more = ranges * 2 + (type === 0x03 ? 3 : 0);
        if (more > end - p) return 'frame-truncated'; // each varint takes at least a byte
        for (let i = 0; i < more; i++) {
          if (readVarint(buf, p, end) < 0) return 'frame-truncated';
          p = varintEnd;
        }
        break;
      }
      case 0x06: {
        const at = readVarint(buf, p, end);
        if (at < 0) return 'frame-truncated';
        const len = readVarint(buf, varintEnd, end);
        if (len < 0) return 'frame-truncated';
        p = varintEnd;
        if (len > end - p) return 'frame-truncated';
        sink.crypto(at, buf, p, len);
        p += len;
        break;
      }
      case 0x1c:
      case 0x1d: {
        const code = readVarint(buf, p, end);
        if (code < 0) return 'frame-truncated';
        p = varintEnd;
        let frameType = -1;
        if (type === 0x1c) {
          frameType = readVarint(buf, p, end);
          if (frameType < 0) return 'frame-truncated';
          p = varintEnd;
        }
        const len = readVarint(buf, p, end);
        if (len < 0) return 'frame-truncated';
        p = varintEnd;
        if (len > end - p) return 'frame-truncated';
        const reason = buf.toString('utf8', p, p + Math.min(len, MAX_REASON));
        p += len;
        sink.connectionClose({ application: type === 0x1d, errorCode: code, frameType, reason });
        break;
      }
      default:
        return `frame-type-0x${type.toString(16)}-in-initial`;
    }
  }
  return null;
}
