// MySQL / MariaDB client/server protocol up to the end of authentication
// (https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase.html).
// Packets: "int<3> payload length (LE), int<1> sequence id, payload".
//
//  - The server greets with Protocol::HandshakeV10: version, capabilities (CLIENT_SSL
//    0x800 = it can do TLS), default auth plugin.
//  - The client answers with an SSLRequest (the first 32 bytes of a
//    HandshakeResponse41, CLIENT_SSL set): TLS starts right after that packet on the
//    client side, and on the server side right after its greeting (the server sends
//    nothing in between: its next bytes are the ServerHello). Or it logs in in
//    cleartext with Protocol::HandshakeResponse41 (user, auth response, database,
//    plugin, attributes).
//  - The server may switch plugins (AuthSwitchRequest 0xFE) before OK / ERR.
//
// Audit facts: starttls {offered: CLIENT_SSL in the greeting, used: SSLRequest,
// offeredBy: 'server'}. Credentials only when the password itself crosses the wire:
// the mysql_clear_password plugin ('mysql-cleartext'). mysql_native_password and
// caching_sha2_password send a scramble of the password with the server's nonce, not
// the password: the user and plugin go to details, not to credentials.

import { registerAppParser } from '../app-parser.js';
import { FRAME_NEED_MORE, FramedParser, nul, text, userName } from '../framed-parser.js';

const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH = 0x80000;
const CLIENT_CONNECT_ATTRS = 0x100000;
const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x200000;

const CLEAR_PASSWORD = 'mysql_clear_password';
const BUDGET = 64 * 1024;
const TLS_HANDSHAKE = 0x16;
const ATTRS = new Set(['_client_name', '_client_version', 'program_name']);

let lenencEnd = 0; // where the value read by lenenc() ends

/** Length-encoded integer at `p` (lenencEnd set past it), or -1 when truncated / NULL. */
function lenenc(buf: Buffer, p: number, end: number): number {
  if (p >= end) return -1;
  const b = buf[p];
  let n = 0;
  if (b < 0xfb) {
    lenencEnd = p + 1;
    return b;
  }
  if (b === 0xfc) n = 2;
  else if (b === 0xfd) n = 3;
  else if (b === 0xfe) n = 8;
  else return -1;
  if (p + 1 + n > end) return -1;
  let v = 0;
  for (let i = n; i >= 1; i--) v = v * 256 + buf[p + i];
  lenencEnd = p + 1 + n;
  return v;
}

/**
 * Connection attributes: lenenc total, then lenenc key / value strings, filling the
 * packet exactly; returns the ones kept (client name, version, program), or null.
 */
function attributes(buf: Buffer, i: number, end: number): [string, string][] | null {
  const total = lenenc(buf, i, end);
  if (total < 0 || lenencEnd + total !== end) return null;
  i = lenencEnd;
  const kept: [string, string][] = [];
  while (i < end) {
    const kl = lenenc(buf, i, end);
    if (kl < 0 || lenencEnd + kl > end) return null;
    const key = buf.toString('latin1', lenencEnd, lenencEnd + Math.min(kl, 64));
    i = lenencEnd + kl;
    const vl = lenenc(buf, i, end);
    if (vl < 0 || lenencEnd + vl > end) return null;
    if (ATTRS.has(key)) kept.push([key.replace(/^_/, ''), text(buf, lenencEnd, lenencEnd + vl)]);
    i = lenencEnd + vl;
  }
  return kept;
}

export class MysqlParser extends FramedParser {
  private serverPackets = 0;
  private clientPackets = 0;
  private serverSsl = -1; // CLIENT_SSL in the greeting: -1 unknown, 0 no, 1 yes
  private clientSsl = -1; // -1 unknown, 0 cleartext login, 1 SSLRequest
  private user: string | null = null;
  private switchPlugin: string | null = null;

  constructor() {
    super(BUDGET);
  }

  protected frame(_fromClient: boolean, buf: Buffer, off: number, avail: number): number {
    if (avail < 4) return FRAME_NEED_MORE;
    return 4 + (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16));
  }

  protected override upgradesAt(fromClient: boolean, buf: Buffer, off: number): boolean {
    // the server's first bytes after its greeting: ServerHello when the client asked for
    // TLS; when the client's side is not known yet, a TLS handshake record after a
    // greeting that offered TLS
    if (fromClient || this.serverPackets !== 1) return false;
    const tls = this.clientSsl === 1 || (this.clientSsl < 0 && this.serverSsl === 1 && buf[off] === TLS_HANDSHAKE);
    if (tls) {
      this.facts.upgrade = 'tls';
      this.clientSsl = 1;
      this.starttls();
    }
    return tls;
  }

  protected message(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const p = off + 4;
    const end = off + len;
    const seq = buf[off + 3];
    if (fromClient) {
      const n = this.clientPackets++;
      if (n === 0) this.handshakeResponse(buf, p, end);
      else if (seq === 0) this.stop(true); // a command: the connection phase is over
      else this.authData(buf, p, end);
      return;
    }
    const n = this.serverPackets++;
    if (len === 4) return;
    const first = buf[p];
    if (n === 0) {
      if (first === 0x0a) this.greeting(buf, p, end);
      else if (first === 0xff) this.error(buf, p, end);
      else this.stop(false);
      return;
    }
    if (first === 0x00 && len >= 11) {
      this.detail('auth_result', 'ok');
      this.finish();
    } else if (first === 0xff) this.error(buf, p, end);
    else if (first === 0xfe) {
      // AuthSwitchRequest: plugin name, plugin data (a lone 0xFE: the pre-4.1 "old password" switch)
      const e = nul(buf, p + 1, end);
      this.switchPlugin = e > p + 1 ? text(buf, p + 1, e) : 'mysql_old_password';
      this.detail('auth_switch', this.switchPlugin);
    }
  }

  private greeting(buf: Buffer, p: number, end: number): void {
    const versionEnd = nul(buf, p + 1, end);
    if (versionEnd < 0) return;
    this.detail('server_version', text(buf, p + 1, versionEnd));
    let i = versionEnd + 1 + 4 + 8 + 1; // thread id, auth-plugin-data-part-1, filler
    if (i + 2 > end) return;
    let caps = buf.readUInt16LE(i);
    i += 2;
    if (i + 5 <= end) caps |= buf.readUInt16LE(i + 3) << 16; // after charset, status flags
    this.serverSsl = caps & CLIENT_SSL ? 1 : 0;
    this.starttls();
    if (caps & CLIENT_PLUGIN_AUTH && i + 16 <= end) {
      const dataLen = buf[i + 5];
      i += 16; // charset, status, upper capabilities, auth data length, 10 reserved
      if (caps & CLIENT_SECURE_CONNECTION) i += Math.max(13, dataLen - 8);
      const e = nul(buf, i, end);
      if (i < end && e !== i) this.detail('auth_plugin', text(buf, i, e < 0 ? end : e));
    }
  }

  private handshakeResponse(buf: Buffer, p: number, end: number): void {
    if (end - p < 4) {
      this.stop(true);
      return;
    }
    const caps16 = buf.readUInt16LE(p);
    if (!(caps16 & CLIENT_PROTOCOL_41)) {
      // HandshakeResponse320: capabilities (2), max packet size (3), user, auth response
      this.clientSsl = caps16 & CLIENT_SSL && end - p <= 5 ? 1 : 0;
      if (this.clientSsl === 1) this.sslRequest();
      else {
        const e = nul(buf, p + 5, end);
        this.setUser(userName(buf, p + 5, e));
      }
      this.starttls();
      return;
    }
    if (end - p < 32) {
      this.stop(true);
      return;
    }
    const caps = buf.readUInt32LE(p);
    if (caps & CLIENT_SSL && end - p === 32) {
      this.clientSsl = 1;
      this.sslRequest();
      this.starttls();
      return;
    }
    this.clientSsl = 0;
    this.starttls();
    let i = p + 32;
    const userEnd = nul(buf, i, end);
    if (userEnd < 0) return;
    this.setUser(userName(buf, i, userEnd));
    i = userEnd + 1;
    // auth response
    let authLen: number;
    if (caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
      authLen = lenenc(buf, i, end);
      if (authLen < 0) return;
      i = lenencEnd;
    } else if (caps & CLIENT_SECURE_CONNECTION) {
      if (i >= end) return;
      authLen = buf[i++];
    } else {
      const e = nul(buf, i, end); // NUL-terminated
      if (e < 0) return;
      authLen = e - i; // the terminator is stepped over below
    }
    const authStart = i;
    i += authLen;
    if (!(caps & (CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_SECURE_CONNECTION))) i++; // its NUL
    if (i > end) return;
    let db: string | null = null;
    if (caps & CLIENT_CONNECT_WITH_DB) {
      const e = nul(buf, i, end);
      if (e < 0) return;
      if (e > i) db = text(buf, i, e);
      i = e + 1;
    }
    let plugin: string | null = null;
    if (caps & CLIENT_PLUGIN_AUTH && i < end) {
      const e = nul(buf, i, end); // the terminator may be missing at the end of the packet
      plugin = text(buf, i, e < 0 ? end : e);
      i = e < 0 ? end : e + 1;
    }
    if (plugin === CLEAR_PASSWORD && authLen > 0 && buf[authStart] !== 0) this.addCredential('mysql-cleartext', this.user);
    const attrs = caps & CLIENT_CONNECT_ATTRS && i < end ? attributes(buf, i, end) : null;
    // every field accounted for, or none is reported: in a misframed packet the
    // password's bytes could sit where a name is expected
    if (attrs === null && i !== end) return;
    if (db !== null) this.detail('database', db);
    if (plugin) this.detail('client_auth_plugin', plugin);
    if (attrs !== null) for (const [k, v] of attrs) this.detail(k, v);
  }

  /** The client's packets during authentication (AuthSwitchResponse, more auth data). */
  private authData(buf: Buffer, p: number, end: number): void {
    if (this.switchPlugin === CLEAR_PASSWORD && end > p && buf[p] !== 0) {
      this.addCredential('mysql-cleartext', this.user);
      this.switchPlugin = null;
    }
  }

  private error(buf: Buffer, p: number, end: number): void {
    if (end - p >= 3) this.detail('error_code', buf.readUInt16LE(p + 1));
    this.finish();
  }

  private sslRequest(): void {
    this.upgradeAfter(true, 'tls');
  }

  private setUser(user: string | null): void {
    this.user = user;
    if (user !== null) this.detail('user', user);
  }

  private starttls(): void {
    const offered = this.serverSsl === 1 || this.clientSsl === 1;
    this.facts.starttls = offered ? { offered, used: this.clientSsl === 1, offeredBy: 'server' } : { offered, used: false };
  }
}

registerAppParser('mysql', () => new MysqlParser());
