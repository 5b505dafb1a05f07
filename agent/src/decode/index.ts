// Layer decoding: frame bytes -> Packet (addresses, ports, tunnels, payload bounds).

export { Decoder, linkLayer, type DecoderOptions } from './decoder.js';
export { REASONS } from './layers.js';
export * from './packet.js';
