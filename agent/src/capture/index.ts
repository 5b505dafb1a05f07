// Capture input: classic pcap and pcapng readers (optionally gzip-compressed), from a file
// (synchronous) or a stream (standard input).

export { readCaptureFile, DEFAULT_CHUNK_BYTES } from './file-reader.js';
export { readCaptureStream } from './stream-reader.js';
export { CaptureParser } from './parser.js';
export { CaptureError, MAX_BLOCK_LEN, MAX_CAPLEN } from './types.js';
export type { PacketSink, ReadFileOptions, ReadStats } from './types.js';
