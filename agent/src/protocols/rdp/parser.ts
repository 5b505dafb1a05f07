// RDP connection initiation (MS-RDPBCGR §1.3.1.1, §2.2.1.1-2.2.1.4): TPKT (RFC 1006:
// version 3, reserved, length) packets carrying X.224 TPDUs.
//  - Client X.224 Connection Request: optional "Cookie: mstshash=<user>\r\n" (a user
//    name hint, not a secret) or routing token "Cookie: msts=...\r\n", then
//    RDP_NEG_REQ (type 1) with requestedProtocols: PROTOCOL_SSL 1, HYBRID (CredSSP) 2,
//    RDSTLS 4, HYBRID_EX 8, RDSAAD 0x10; none means Standard RDP Security only.
//  - Server X.224 Connection Confirm: RDP_NEG_RSP (type 2) selectedProtocol, or
//    RDP_NEG_FAILURE (type 3) failureCode.
// Any selected protocol but 0 is Enhanced RDP Security: TLS starts in both directions
// right after the CR / CC packets. Protocol 0 (or a server without negotiation) is
// Standard RDP Security: RC4 in RDP's own format, not TLS; the server's MCS Connect
// Response then says which encryption method and level it chose (TS_UD_SC_SEC1), 0/0
// meaning none at all. intransit.encrypted is not changed by this parser.
//
// starttls mirrors the negotiation: {offered: the client requested a TLS-based
// protocol, used: the server selected one, offeredBy: 'client'}.

import { registerAppParser } from '../app-parser.js';
import { FRAME_INVALID, FRAME_NEED_MORE, FramedParser } from '../framed-parser.js';

const X224_CR = 0xe0;
const X224_CC = 0xd0;
const X224_DT = 0xf0;
const TYPE_RDP_NEG_REQ = 1;
const TYPE_RDP_NEG_RSP = 2;
const TYPE_RDP_NEG_FAILURE = 3;
const SC_SECURITY = 0x0c02;
const BUDGET = 16 * 1024;
const TLS_HANDSHAKE = 0x16;

const PROTOCOLS: [number, string][] = [
  [0x1, 'ssl'],
  [0x2, 'hybrid'],
  [0x4, 'rdstls'],
  [0x8, 'hybrid_ex'],
  [0x10, 'rdsaad'],
];
const FAILURES: Record<number, string> = {
  1: 'ssl_required_by_server',
  2: 'ssl_not_allowed_by_server',
  3: 'ssl_cert_not_on_server',
  4: 'inconsistent_flags',
  5: 'hybrid_required_by_server',
  6: 'ssl_with_user_auth_required_by_server',
};
const METHODS: Record<number, string> = { 0: 'none', 1: '40bit', 2: '128bit', 8: '56bit', 0x10: 'fips' };
const LEVELS: Record<number, string> = { 0: 'none', 1: 'low', 2: 'client-compatible', 3: 'high', 4: 'fips' };

function protocolNames(mask: number): string[] {
  if (mask === 0) return ['rdp'];
  const names: string[] = [];
  for (const [bit, name] of PROTOCOLS) if (mask & bit) names.push(name);
  const rest = mask & ~0x1f;
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}

export class RdpParser extends FramedParser {
  private requested = -1; // requestedProtocols, 0 without RDP_NEG_REQ; -1 before the CR
  private selected = -1; // selectedProtocol, 0 without RDP_NEG_RSP; -1 before the CC
  private clientPackets = 0;
  private serverPackets = 0;

  constructor() {
    super(BUDGET);
  }

  protected frame(_fromClient: boolean, buf: Buffer, off: number, avail: number): number {
    // TPKT only: fast-path PDUs (first byte not 3) come after the part this parser reads
    if (buf[off] !== 3 || (avail > 1 && buf[off + 1] !== 0)) return FRAME_INVALID;
    if (avail < 4) return FRAME_NEED_MORE;
    const len = (buf[off + 2] << 8) | buf[off + 3];
    return len >= 7 ? len : FRAME_INVALID;
  }

  protected override upgradesAt(fromClient: boolean, buf: Buffer, off: number): boolean {
    if (!fromClient || this.clientPackets !== 1) return false;
    // the client's bytes after its CR: a ClientHello under Enhanced RDP Security (the
    // server's choice may not have been read yet), an MCS Connect Initial otherwise
    if (this.selected > 0 || (this.selected < 0 && buf[off] === TLS_HANDSHAKE)) {
      this.facts.upgrade = 'tls';
      return true;
    }
    this.stop(true); // Standard RDP Security: nothing more to learn from the client
    return false;
  }

  protected message(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const end = off + len;
    if (fromClient) {
      if (this.clientPackets++ === 0) this.connectionRequest(buf, off, end);
      return;
    }
    const n = this.serverPackets++;
    if (n === 0) this.connectionConfirm(buf, off, end);
    else {
      this.connectResponse(buf, off, end);
      this.finish();
    }
  }

  private connectionRequest(buf: Buffer, off: number, end: number): void {
    // TPKT (4), length indicator, CR code, DST-REF, SRC-REF, class option
    if (end - off < 11 || (buf[off + 5] & 0xf0) !== X224_CR) {
      this.finish();
      return;
    }
    const tpduEnd = Math.min(end, off + 5 + buf[off + 4]);
    let p = off + 11;
    if (p + 8 <= tpduEnd && buf.toString('latin1', p, p + 8) === 'Cookie: ') {
      const crlf = buf.subarray(p, tpduEnd).indexOf('\r\n', 0, 'latin1');
      const lineEnd = crlf >= 0 ? p + crlf : tpduEnd;
      const cookie = buf.toString('latin1', p + 8, Math.min(lineEnd, p + 8 + 256));
      if (cookie.startsWith('mstshash=')) this.detail('mstshash', cookie.slice(9));
      else if (cookie.startsWith('msts=')) this.detail('routing_token', true);
      else this.detail('cookie', true);
      p = lineEnd + 2;
    }
    this.requested = 0;
    if (p + 8 <= tpduEnd && buf[p] === TYPE_RDP_NEG_REQ && buf.readUInt16LE(p + 2) === 8) this.requested = buf.readUInt32LE(p + 4);
    this.detail('requested_protocols', protocolNames(this.requested));
    this.starttls();
  }

  private connectionConfirm(buf: Buffer, off: number, end: number): void {
    if (end - off < 11 || (buf[off + 5] & 0xf0) !== X224_CC) {
      this.finish();
      return;
    }
    const tpduEnd = Math.min(end, off + 5 + buf[off + 4]);
    const p = off + 11;
    this.selected = 0;
    if (p + 8 <= tpduEnd) {
      const type = buf[p];
      const value = buf.readUInt32LE(p + 4);
      if (type === TYPE_RDP_NEG_FAILURE) {
        this.detail('failure', FAILURES[value] ?? `0x${value.toString(16)}`);
        this.starttls();
        this.finish();
        return;
      }
      if (type === TYPE_RDP_NEG_RSP) this.selected = value;
    }
    this.detail('selected_protocol', protocolNames(this.selected)[0]);
    this.detail('security', this.selected === 0 ? 'standard' : 'enhanced');
    this.starttls();
    if (this.selected > 0) {
      this.facts.upgrade = 'tls';
      this.upgradeAfter(false, 'tls');
    }
  }

  /**
   * Standard RDP Security: the MCS Connect-Response (X.224 data, BER [APPLICATION 102])
   * holds a GCC Conference Create Response whose user data, after the H.221 key "McDn"
   * and a PER length, is a list of server data blocks (type, length: LE16 each).
   */
  private connectResponse(buf: Buffer, off: number, end: number): void {
    if (end - off < 9 || buf[off + 5] !== X224_DT || buf[off + 7] !== 0x7f || buf[off + 8] !== 0x66) return;
    const at = buf.subarray(off + 9, end).indexOf('McDn', 0, 'latin1');
    if (at < 0 || off + 9 + at + 6 > end) return;
    let p = off + 9 + at + 4;
    let len = buf[p++];
    if (len & 0x80) len = ((len & 0x7f) << 8) | buf[p++];
    const stop = Math.min(end, p + len);
    for (let i = 0; i < 16 && p + 4 <= stop; i++) {
      const type = buf.readUInt16LE(p);
      const blockLen = buf.readUInt16LE(p + 2);
      if (blockLen < 4 || p + blockLen > stop) return;
      if (type === SC_SECURITY && blockLen >= 12) {
        const method = buf.readUInt32LE(p + 4);
        const level = buf.readUInt32LE(p + 8);
        this.detail('encryption_method', METHODS[method] ?? `0x${method.toString(16)}`);
        this.detail('encryption_level', LEVELS[level] ?? `0x${level.toString(16)}`);
        return;
      }
      p += blockLen;
    }
  }

  private starttls(): void {
    const offered = this.requested > 0;
    this.facts.starttls = offered ? { offered, used: this.selected > 0, offeredBy: 'client' } : { offered, used: false };
  }
}

registerAppParser('rdp', () => new RdpParser());
