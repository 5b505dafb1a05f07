// Public contract of the capture readers: what a packet looks like to the rest of the
// pipeline, what an unusable input raises, and what a finished read reports.

/**
 * Called once per packet. `buf[off .. off + caplen)` are the frame bytes, inside the
 * reader's reusable buffer: valid only during the call (copy what must outlive it).
 * `tsSec`/`tsNsec` are the capture time, exact to the nanosecond.
 */
export type PacketSink = (
  buf: Buffer,
  off: number,
  caplen: number,
  origlen: number,
  linktype: number,
  tsSec: number,
  tsNsec: number,
) => void;

/** Unusable input (not a capture, unreadable, broken before the first packet). One-line message. */
export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

export interface ReadStats {
  format: 'pcap' | 'pcapng';
  /** packets handed to the sink */
  packets: number;
  /** sum of their captured lengths */
  capturedBytes: number;
  /** bytes of capture data read (after gzip decompression, when the input was compressed) */
  fileBytes: number;
  /** pcapng blocks that carry no packet for us (NRB, ISB, DSB, custom, unknown, unusable EPB/SPB) */
  skippedBlocks: number;
  /** the reader stopped before the end of the data: capture cut short, or a corrupt record */
  truncated: boolean;
  /** one line each: why something was skipped or where reading stopped */
  warnings: string[];
}

/**
 * Supplies the read buffers in place of the reader's one reused buffer (a sharded engine
 * reads into memory its workers share, so records need no copy).
 */
export interface ReadBuffers {
  /**
   * A buffer of at least `size` bytes to read on in, holding prev[from, to) at its start
   * (prev: the buffer read so far, null for the first call). Records delivered from prev
   * before this call have all been handed to the sink.
   */
  next(prev: Buffer | null, from: number, to: number, size: number): Buffer;
}

export interface ReadFileOptions {
  /** Read buffers from here instead of one reused buffer (uncompressed input only). */
  buffers?: ReadBuffers;
  /** size of the reusable read buffer (default 4 MiB); grows only for a record that does not fit */
  chunkBytes?: number;
  /** called after each read with bytes read so far and the file size (0 when unknown) */
  onProgress?: (done: number, total: number) => void;
}

/** Largest captured length accepted for one classic pcap record; beyond it the record is corrupt. */
export const MAX_CAPLEN = 256 * 1024 * 1024;
/** Largest pcapng block accepted (a packet of MAX_CAPLEN plus headers and options). */
export const MAX_BLOCK_LEN = MAX_CAPLEN + 64 * 1024;
/** Warnings kept in ReadStats; further ones are counted in a final line. */
export const MAX_WARNINGS = 64;
