// SOCKS 4 / 4a and 5 (RFC 1928, RFC 1929) up to the start of the relayed stream.
//  - SOCKS4: request VN=4, CD (1 CONNECT, 2 BIND), DSTPORT, DSTIP, USERID\0, and for
//    4a (DSTIP 0.0.0.x, x != 0) a HOST\0; reply VN=0, CD (90 granted, 91-93 refused),
//    port, address (8 bytes).
//  - SOCKS5: greeting VER=5, NMETHODS, METHODS; method selection VER, METHOD (0xFF: none
//    acceptable); RFC 1929 username/password subnegotiation VER=1, ULEN, UNAME, PLEN,
//    PASSWD, answered VER=1, STATUS; request VER, CMD (1 CONNECT, 2 BIND, 3 UDP
//    ASSOCIATE), RSV, ATYP (1 IPv4, 3 domain, 4 IPv6), DST.ADDR, DST.PORT; reply VER,
//    REP, RSV, ATYP, BND.ADDR, BND.PORT (BIND sends two replies).
//
// The relayed stream starts right after the client's CONNECT/BIND request on the
// client side (clients may send before the reply) and after the successful reply on
// the server side: upgrade 'tunnel', tunnelTarget "host:port" ("[v6]:port"). RFC 1929
// passwords travel in cleartext: credential 'socks5-password' with the user name (the
// password is never kept). SOCKS4's USERID is an identity, not a secret: details.userid.
// A GSSAPI method (RFC 1961) encapsulates what follows: the parser stops there.

import { registerAppParser } from '../app-parser.js';
import { FRAME_INVALID, FRAME_NEED_MORE, FramedParser, nul, userName } from '../framed-parser.js';

const BUDGET = 4 * 1024;
const MAX_ID = 255; // user id / host name bytes (SOCKS4a)

const CMD_CONNECT = 1;
const CMD_BIND = 2;
const CMD_UDP = 3;
const COMMANDS: Record<number, string> = { 1: 'connect', 2: 'bind', 3: 'udp-associate' };
const METHODS: Record<number, string> = { 0: 'none', 1: 'gssapi', 2: 'username-password', 3: 'chap', 5: 'challenge-response', 6: 'ssl', 7: 'nds', 8: 'multi-auth', 9: 'json', 0xff: 'no-acceptable' };
const REPLIES5: Record<number, string> = {
  0: 'succeeded',
  1: 'general-failure',
  2: 'not-allowed',
  3: 'network-unreachable',
  4: 'host-unreachable',
  5: 'connection-refused',
  6: 'ttl-expired',
  7: 'command-not-supported',
  8: 'address-type-not-supported',
};
const REPLIES4: Record<number, string> = { 90: 'granted', 91: 'rejected', 92: 'no-identd', 93: 'identd-mismatch' };

const C_START = 0; // greeting (5) or request (4)
const C_AFTER_GREETING = 1; // subnegotiation or request

function methodName(m: number): string {
  return METHODS[m] ?? (m >= 0x80 ? `private-0x${m.toString(16)}` : `0x${m.toString(16)}`);
}

/** Size of a SOCKS5 request / reply (same layout) from the bytes at hand. */
function addressMessage(buf: Buffer, off: number, avail: number): number {
  if (avail < 5) return FRAME_NEED_MORE;
  const atyp = buf[off + 3];
  if (atyp === 1) return 10;
  if (atyp === 4) return 22;
  if (atyp === 3) return buf[off + 4] > 0 ? 7 + buf[off + 4] : FRAME_INVALID;
  return FRAME_INVALID;
}

function ipv6(buf: Buffer, p: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(p + 2 * i));
  // RFC 5952: the longest run of two or more zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export class SocksParser extends FramedParser {
  private version = 0;
  private clientState = C_START;
  private serverMessages = 0;
  private method = -1; // the server's chosen method
  private command = 0;
  private replies = 0; // successful SOCKS5 / SOCKS4 replies seen

  constructor() {
    super(BUDGET);
  }

  protected frame(fromClient: boolean, buf: Buffer, off: number, avail: number): number {
    const v = buf[off];
    if (fromClient) {
      if (this.clientState === C_START) {
        if (v === 4) return this.socks4Request(buf, off, avail);
        if (v === 5) return avail < 2 ? FRAME_NEED_MORE : buf[off + 1] > 0 ? 2 + buf[off + 1] : FRAME_INVALID;
        return FRAME_INVALID;
      }
      if (v === 1) {
        // RFC 1929: VER, ULEN, UNAME, PLEN, PASSWD
        if (avail < 2) return FRAME_NEED_MORE;
        const ulen = buf[off + 1];
        if (avail < 3 + ulen) return FRAME_NEED_MORE;
        return 3 + ulen + buf[off + 2 + ulen];
      }
      return v === 5 ? addressMessage(buf, off, avail) : FRAME_INVALID;
    }
    if (this.serverMessages === 0) {
      if (v === 0) return 8; // SOCKS4 reply
      if (v === 5) return 2; // method selection
      return FRAME_INVALID;
    }
    if (v === 1) return 2; // subnegotiation status
    if (v === 5) return addressMessage(buf, off, avail);
    if (v === 0 && this.version === 4) return 8; // second SOCKS4 BIND reply
    return FRAME_INVALID;
  }

  /** SOCKS4 request: 8 fixed bytes, USERID\0, and HOST\0 for 4a. */
  private socks4Request(buf: Buffer, off: number, avail: number): number {
    if (avail < 9) return FRAME_NEED_MORE;
    const id = nul(buf, off + 8, off + avail);
    if (id < 0) return avail < 8 + MAX_ID + 1 ? FRAME_NEED_MORE : FRAME_INVALID;
    if (id - off - 8 > MAX_ID) return FRAME_INVALID;
    if (!(buf[off + 4] === 0 && buf[off + 5] === 0 && buf[off + 6] === 0 && buf[off + 7] !== 0)) return id + 1 - off;
    const host = nul(buf, id + 1, off + avail);
    if (host < 0) return avail < id + 1 - off + MAX_ID + 1 ? FRAME_NEED_MORE : FRAME_INVALID;
    return host - id - 1 > MAX_ID ? FRAME_INVALID : host + 1 - off;
  }

  protected message(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    if (fromClient) this.clientMessage(buf, off, len);
    else this.serverMessage(buf, off, len);
  }

  private clientMessage(buf: Buffer, off: number, len: number): void {
    const end = off + len;
    const v = buf[off];
    if (this.clientState === C_START) {
      this.clientState = C_AFTER_GREETING;
      if (v === 5) {
        this.version = 5;
        this.detail('version', '5');
        const methods: string[] = [];
        for (let i = off + 2; i < end && methods.length < 16; i++) methods.push(methodName(buf[i]));
        this.detail('methods', methods);
        return;
      }
      // SOCKS4 / 4a
      this.version = 4;
      this.command = buf[off + 1];
      const port = buf.readUInt16BE(off + 2);
      const idEnd = nul(buf, off + 8, end);
      const is4a = buf[off + 4] === 0 && buf[off + 5] === 0 && buf[off + 6] === 0 && buf[off + 7] !== 0;
      this.detail('version', is4a ? '4a' : '4');
      this.detail('command', COMMANDS[this.command] ?? this.command);
      const userid = userName(buf, off + 8, idEnd);
      if (userid !== null) this.detail('userid', userid);
      const host = is4a ? userName(buf, idEnd + 1, end - 1) : `${buf[off + 4]}.${buf[off + 5]}.${buf[off + 6]}.${buf[off + 7]}`;
      this.target(host, port);
      return;
    }
    if (v === 1) {
      const ulen = buf[off + 1];
      const plen = buf[off + 2 + ulen];
      // the password is neither copied nor looked at beyond its length
      const user = userName(buf, off + 2, off + 2 + ulen);
      if (plen > 0) this.addCredential('socks5-password', user);
      else if (user !== null) this.detail('user', user);
      return;
    }
    // SOCKS5 request
    this.command = buf[off + 1];
    this.detail('command', COMMANDS[this.command] ?? this.command);
    const atyp = buf[off + 3];
    const host = atyp === 1 ? `${buf[off + 4]}.${buf[off + 5]}.${buf[off + 6]}.${buf[off + 7]}` : atyp === 4 ? `[${ipv6(buf, off + 4)}]` : userName(buf, off + 5, end - 2);
    this.target(host, buf.readUInt16BE(end - 2));
  }

  /** @param host null when the name is not text (misframed bytes are not reported) */
  private target(host: string | null, port: number): void {
    if (this.command === CMD_UDP) {
      // the datagrams go elsewhere: this connection only holds the association
      this.stop(true);
      return;
    }
    if (host !== null) this.facts.tunnelTarget = `${host}:${port}`;
    if (this.command === CMD_CONNECT || this.command === CMD_BIND) this.upgradeAfter(true, 'tunnel');
    else this.stop(true);
  }

  private serverMessage(buf: Buffer, off: number, len: number): void {
    const n = this.serverMessages++;
    const v = buf[off];
    const code = buf[off + 1];
    if (n === 0 && v === 5) {
      this.method = code;
      this.detail('method', methodName(code));
      // none acceptable: the server closes; GSSAPI: encapsulated from here on
      if (code === 0xff || code === 1) this.finish();
      return;
    }
    if (v === 1 && len === 2) {
      this.detail('auth', code === 0 ? 'success' : 'failure');
      if (code !== 0) this.finish();
      return;
    }
    const ok = v === 0 ? code === 90 : code === 0;
    this.detail('reply', (v === 0 ? REPLIES4[code] : REPLIES5[code]) ?? code);
    if (!ok) {
      this.finish();
      return;
    }
    this.replies++;
    if (this.command === CMD_UDP) this.finish();
    else if (this.command !== CMD_BIND || this.replies === 2) this.upgradeAfter(false, 'tunnel');
  }
}

registerAppParser('socks', () => new SocksParser());
