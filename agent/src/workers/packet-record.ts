// A decoded Packet as a record (R_DECODED): the rare packets a worker cannot decode from
// their frame alone, i.e. IP datagrams the reader reassembled from fragments (fragments of
// one datagram may belong to flows of any shard until it is whole). The fields, then the
// packet's whole buffer, whose offsets the fields keep.

import { MAX_TUNNELS, Packet } from '../decode/packet.js';

/** Numbers stored per decoded packet. */
export const DECODED_FIELDS = 30 + 2 * MAX_TUNNELS + 8;

export function decodedBytes(pkt: Packet): number {
  return DECODED_FIELDS * 8 + pkt.buf.length;
}

/** Writes pkt at f64[i ...] (its buffer follows the fields in `bytes`); returns the bytes used. */
export function writeDecoded(pkt: Packet, f64: Float64Array, bytes: Buffer, byteOff: number): number {
  let i = byteOff >> 3;
  const put = (v: number): void => {
    f64[i++] = v;
  };
  put(pkt.buf.length);
  put(pkt.frameOff);
  put(pkt.caplen);
  put(pkt.origlen);
  put(pkt.linktype);
  put(pkt.tsSec);
  put(pkt.tsNsec);
  put(pkt.frameNo);
  put(pkt.vlanId);
  put(pkt.tunnelCount);
  for (let t = 0; t < MAX_TUNNELS; t++) put(pkt.tunnelType[t]);
  for (let t = 0; t < MAX_TUNNELS; t++) put(pkt.tunnelId[t]);
  put(pkt.tunnelHash);
  put(pkt.ipVersion);
  put(pkt.ipOff);
  put(pkt.ipLen);
  for (let w = 0; w < 4; w++) put(pkt.src[w]);
  for (let w = 0; w < 4; w++) put(pkt.dst[w]);
  put(pkt.ipProto);
  put(pkt.ttl);
  put(pkt.l4Off);
  put(pkt.srcPort);
  put(pkt.dstPort);
  put(pkt.tcpFlags);
  put(pkt.seq);
  put(pkt.ack);
  put(pkt.payloadOff);
  put(pkt.payloadLen);
  put(pkt.payloadWireLen);
  const start = byteOff + DECODED_FIELDS * 8;
  pkt.buf.copy(bytes, start);
  return DECODED_FIELDS * 8 + pkt.buf.length;
}

/** Fills pkt from a record written by writeDecoded (its buffer is copied out of the slot). */
export function readDecoded(pkt: Packet, f64: Float64Array, bytes: Buffer, byteOff: number): void {
  let i = byteOff >> 3;
  const get = (): number => f64[i++];
  const bufLen = get();
  pkt.frameOff = get();
  pkt.caplen = get();
  pkt.origlen = get();
  pkt.linktype = get();
  pkt.tsSec = get();
  pkt.tsNsec = get();
  pkt.frameNo = get();
  pkt.vlanId = get();
  pkt.tunnelCount = get();
  for (let t = 0; t < MAX_TUNNELS; t++) pkt.tunnelType[t] = get();
  for (let t = 0; t < MAX_TUNNELS; t++) pkt.tunnelId[t] = get();
  pkt.tunnelHash = get();
  pkt.ipVersion = get();
  pkt.ipOff = get();
  pkt.ipLen = get();
  for (let w = 0; w < 4; w++) pkt.src[w] = get();
  for (let w = 0; w < 4; w++) pkt.dst[w] = get();
  pkt.ipProto = get();
  pkt.ttl = get();
  pkt.l4Off = get();
  pkt.srcPort = get();
  pkt.dstPort = get();
  pkt.tcpFlags = get();
  pkt.seq = get();
  pkt.ack = get();
  pkt.payloadOff = get();
  pkt.payloadLen = get();
  pkt.payloadWireLen = get();
  const start = byteOff + DECODED_FIELDS * 8;
  pkt.buf = Buffer.from(bytes.subarray(start, start + bufLen));
}
