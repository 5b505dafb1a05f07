// QUIC variable-length integers (RFC 9000 §16) and the transport parameters a peer sends
// in its TLS quic_transport_parameters extension (RFC 9000 §18; 0x39, 0xffa5 in drafts 27+).
// Decoded into a small object for the session facts: known ids by name, unknown ids listed.

/** End offset of the last varint read by readVarint(). */
export let varintEnd = 0;

/**
 * Variable-length integer at `off` (not past `end`): its value, or -1 when cut short.
 * Values beyond 2^53 lose precision (transport parameters print them as strings, see below).
 */
export function readVarint(buf: Buffer, off: number, end: number): number {
  if (off >= end) return -1;
  const n = 1 << (buf[off] >>> 6);
  if (off + n > end) return -1;
  let v = buf[off] & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + buf[off + i];
  varintEnd = off + n;
  return v;
}

/** Exact decimal value of a varint (for the few beyond 2^53). */
function varintExact(buf: Buffer, off: number, n: number): number | string {
  let v = BigInt(buf[off] & 0x3f);
  for (let i = 1; i < n; i++) v = v * 256n + BigInt(buf[off + i]);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

const INTEGER_PARAMS: Record<number, string> = {
  0x01: 'max_idle_timeout',
  0x03: 'max_udp_payload_size',
  0x04: 'initial_max_data',
  0x05: 'initial_max_stream_data_bidi_local',
  0x06: 'initial_max_stream_data_bidi_remote',
  0x07: 'initial_max_stream_data_uni',
  0x08: 'initial_max_streams_bidi',
  0x09: 'initial_max_streams_uni',
  0x0a: 'ack_delay_exponent',
  0x0b: 'max_ack_delay',
  0x0e: 'active_connection_id_limit',
  0x20: 'max_datagram_frame_size', // RFC 9221
};

const CID_PARAMS: Record<number, string> = {
  0x00: 'original_destination_connection_id',
  0x0f: 'initial_source_connection_id',
  0x10: 'retry_source_connection_id',
};

const FLAG_PARAMS: Record<number, string> = {
  0x0c: 'disable_active_migration',
  0x2ab2: 'grease_quic_bit', // RFC 9287
};

/** Reserved ids 31 * N + 27 (RFC 9000 §18.1) exercise the unknown-parameter path. */
function isGreaseParam(id: number): boolean {
  return id >= 27 && (id - 27) % 31 === 0;
}

function ip4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

function ip6(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(o + i).toString(16));
  return parts.join(':');
}

/** Decodes a transport parameters body; `malformed: true` when it stops on a bad entry. */
export function decodeTransportParameters(buf: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const unknown: string[] = [];
  let grease = 0;
  const end = buf.length;
  let p = 0;
  while (p < end) {
    const id = readVarint(buf, p, end);
    if (id < 0) break;
    const len = readVarint(buf, varintEnd, end);
    if (len < 0) break;
    const v = varintEnd;
    if (v + len > end) {
      p = -1;
      break;
    }
    p = v + len;
    const intName = INTEGER_PARAMS[id];
    if (intName !== undefined) {
      const x = readVarint(buf, v, v + len);
      if (x < 0 || varintEnd !== v + len) out.malformed = true;
      else out[intName] = varintExact(buf, v, len);
      continue;
    }
    const cidName = CID_PARAMS[id];
    if (cidName !== undefined) {
      out[cidName] = buf.toString('hex', v, v + len);
      continue;
    }
    const flagName = FLAG_PARAMS[id];
    if (flagName !== undefined) {
      out[flagName] = true;
      continue;
    }
    if (id === 0x02) {
      out.stateless_reset_token = true; // a secret: only its presence is kept
    } else if (id === 0x0d) {
      // IPv4 address and port, IPv6 address and port, connection ID, stateless reset token
      if (len >= 4 + 2 + 16 + 2 + 1 && len >= 25 + buf[v + 24] + 16) {
        out.preferred_address = {
          ipv4: `${ip4(buf, v)}:${buf.readUInt16BE(v + 4)}`,
          ipv6: `[${ip6(buf, v + 6)}]:${buf.readUInt16BE(v + 22)}`,
          connection_id: buf.toString('hex', v + 25, v + 25 + buf[v + 24]),
        };
      } else out.malformed = true;
    } else if (id === 0x11) {
      // version_information (RFC 9368): chosen version, then the versions the sender supports
      if (len >= 4 && len % 4 === 0) {
        const vs: string[] = [];
        for (let i = v; i < v + len; i += 4) vs.push('0x' + buf.readUInt32BE(i).toString(16).padStart(8, '0'));
        out.version_information = { chosen: vs[0], available: vs.slice(1) };
      } else out.malformed = true;
    } else if (isGreaseParam(id)) {
      grease++;
    } else if (unknown.length < 32) {
      unknown.push('0x' + id.toString(16));
    }
  }
  if (p !== end) out.malformed = true;
  if (unknown.length) out.unknown = unknown;
  if (grease) out.grease = grease;
  return out;
}
