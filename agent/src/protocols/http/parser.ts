// HTTP/1.x (RFC 9110 / 9112) cleartext parser. Requests and responses are framed
// (framing.ts) and paired in order (pipelining allowed); it learns:
//   - credentials: Authorization / Proxy-Authorization Basic and Bearer, a password in
//     a form post, a JSON body or the query string (credentials.ts);
//   - CONNECT host:port answered 2xx: from the end of that response the server's
//     stream is the tunnel, and the client's from the end of its CONNECT request
//     (the flow inspects it as TLS when it starts with a TLS record);
//   - Upgrade: TLS/1.x (RFC 2817, HTTP's own STARTTLS, used by IPP) answered 101: TLS
//     from the end of the 101 response and of the upgrading request; a 426 naming
//     TLS in its Upgrade header offers it;
//   - 101 Switching Protocols to anything else (WebSocket, h2c): the rest is not HTTP, done;
//   - details: the first request's method and host, the first final status.
// Header values are read in place and forgotten; only the host name is kept.

import { registerAppParser } from '../app-parser.js';
import { cleanText, equalsFold, indexOfFold, skipSpaces, startsWithFold, upperWord, wordEnd } from '../text/ascii.js';
import { TextSessionParser, UPGRADE_ACCEPTED, UPGRADE_REQUESTED } from '../text/session.js';
import { authorizationCredential, jsonCredential, urlencodedCredential } from './credentials.js';
import { BODY_CHUNKED, BODY_STOP, BODY_SWITCH, BODY_TO_CLOSE, HttpFraming, contentLength, endsChunked, type HttpSink } from './framing.js';

/** Body bytes of a form or JSON post looked at for a password. */
const MAX_CAPTURE = 8192;
/** Requests awaiting their response that are remembered. */
const MAX_QUEUE = 32;

const FORM = 1;
const JSON_BODY = 2;

export class HttpParser extends TextSessionParser {
  private readonly requests: HttpFraming;
  private readonly responses: HttpFraming;
  // methods of requests awaiting their response (" TLS" appended when it asks for an RFC 2817 upgrade)
  private readonly queue: string[] = [];
  private firstRequest = true;
  private firstStatus = true;
  private connectTarget: string | null = null;
  // request being read
  private method = '';
  private reqLength = -1;
  private reqChunked = false;
  private bodyKind = 0;
  private capture: Buffer | null = null;
  private captured = 0;
  private hostSeen = false;
  private reqTlsUpgrade = false;
  // response being read
  private status = 0;
  private resLength = -1;
  private resChunked = false;
  private resUpgrade: string | null = null;

  constructor() {
    super();
    this.upgradeKind = 'tunnel';
    const self = this;
    const requestSink: HttpSink = {
      startLine: (l, s, e) => self.requestLine(l, s, e),
      header: (l, ns, ne, vs, ve) => self.requestHeader(l, ns, ne, vs, ve),
      headersDone: () => self.requestHeadersDone(),
      body: (b, s, e) => self.requestBody(b, s, e),
      messageDone: () => self.requestDone(),
      boundary: (b, p, e) => self.clientSwitchesHere(b, p, e),
    };
    const responseSink: HttpSink = {
      startLine: (l, s, e) => self.statusLine(l, s, e),
      header: (l, ns, ne, vs, ve) => self.responseHeader(l, ns, ne, vs, ve),
      headersDone: () => self.responseHeadersDone(),
      body: () => {},
      messageDone: () => {},
      boundary: (b, p, e) => self.serverSwitchesHere(b, p, e),
    };
    this.requests = new HttpFraming(this.client.reader, requestSink);
    this.responses = new HttpFraming(this.server.reader, responseSink);
  }

  protected parse(fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    const f = fromClient ? this.requests : this.responses;
    const at = f.parse(buf, pos, end);
    if (f.dead) (fromClient ? this.client : this.server).stopped = true;
    return at;
  }

  protected override onUpgraded(): void {
    if (this.connectTarget !== null) this.facts.tunnelTarget = this.connectTarget;
  }

  // --- requests ------------------------------------------------------------------

  private requestLine(line: Buffer, s: number, e: number): boolean {
    const me = wordEnd(line, s, e);
    const method = upperWord(line, s, me, 20);
    if (method === '' || !/^[A-Z][A-Z-]*$/.test(method)) return false;
    const t = skipSpaces(line, me, e);
    const te = wordEnd(line, t, e);
    if (te === t) return false;
    if (method === 'PRI' && te - t === 1 && line[t] === 0x2a) {
      this.finish(); // HTTP/2 connection preface: not HTTP/1 from here on
      return false;
    }
    this.method = method;
    this.reqLength = -1;
    this.reqChunked = false;
    this.bodyKind = 0;
    this.hostSeen = false;
    this.reqTlsUpgrade = false;
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(method);
    if (this.firstRequest) this.detail('method', method);
    if (method === 'CONNECT') this.connectTarget = cleanText(line, t, te, 256);
    else {
      const q = line.indexOf(0x3f, t);
      if (q >= 0 && q < te) {
        const found = urlencodedCredential(line.toString('latin1', q + 1, Math.min(te, q + 1 + MAX_CAPTURE)));
        if (found) this.addCredential('http-query-password', found.user);
      }
      // absolute-form target (a proxy request): its authority is the host
      if (this.firstRequest && startsWithFold(line, t, te, 'HTTP://')) {
        const hs = t + 7;
        let he = hs;
        while (he < te && line[he] !== 0x2f && line[he] !== 0x3f) he++;
        if (he > hs) this.detail('host', cleanText(line, hs, he, 256));
      }
    }
    return true;
  }

  private requestHeader(line: Buffer, ns: number, ne: number, vs: number, ve: number): void {
    const n = ne - ns;
    if (n === 4 && equalsFold(line, ns, ne, 'HOST')) {
      if (this.firstRequest && !this.hostSeen) this.detail('host', cleanText(line, vs, ve, 256));
      this.hostSeen = true;
    } else if (n === 13 && equalsFold(line, ns, ne, 'AUTHORIZATION')) {
      const c = authorizationCredential(line, vs, ve, false);
      if (c) this.addCredential(c.kind, c.user);
    } else if (n === 19 && equalsFold(line, ns, ne, 'PROXY-AUTHORIZATION')) {
      const c = authorizationCredential(line, vs, ve, true);
      if (c) this.addCredential(c.kind, c.user);
    } else if (n === 14 && equalsFold(line, ns, ne, 'CONTENT-LENGTH')) {
      this.reqLength = contentLength(line, vs, ve);
    } else if (n === 17 && equalsFold(line, ns, ne, 'TRANSFER-ENCODING')) {
      this.reqChunked = endsChunked(line, vs, ve);
    } else if (n === 12 && equalsFold(line, ns, ne, 'CONTENT-TYPE')) {
      if (indexOfFold(line, vs, ve, 'APPLICATION/X-WWW-FORM-URLENCODED') >= 0) this.bodyKind = FORM;
      else if (indexOfFold(line, vs, ve, 'JSON') >= 0) this.bodyKind = JSON_BODY;
    } else if (n === 7 && equalsFold(line, ns, ne, 'UPGRADE')) {
      if (indexOfFold(line, vs, ve, 'TLS/') >= 0) this.reqTlsUpgrade = true;
    }
  }

  private requestHeadersDone(): number {
    this.firstRequest = false;
    if (this.method === 'CONNECT') {
      this.upgradeKind = 'tunnel';
      this.requestUpgrade();
      return 0;
    }
    if (this.reqTlsUpgrade) {
      this.upgradeKind = 'tls';
      this.requestUpgrade();
      if (this.queue.length > 0) this.queue[this.queue.length - 1] += ' TLS';
    }
    const length = this.reqChunked ? BODY_CHUNKED : this.reqLength > 0 ? this.reqLength : 0;
    if (this.bodyKind !== 0 && length !== 0) {
      this.capture = Buffer.allocUnsafe(length > 0 ? Math.min(length, MAX_CAPTURE) : MAX_CAPTURE);
      this.captured = 0;
    }
    return length;
  }

  private requestBody(buf: Buffer, s: number, e: number): void {
    const c = this.capture;
    if (c === null) return;
    const n = Math.min(e - s, c.length - this.captured);
    if (n > 0) buf.copy(c, this.captured, s, s + n);
    this.captured += n;
  }

  private requestDone(): void {
    const c = this.capture;
    if (c === null) return;
    this.capture = null;
    const text = c.toString(this.bodyKind === FORM ? 'latin1' : 'utf8', 0, this.captured);
    c.fill(0);
    const found = this.bodyKind === FORM ? urlencodedCredential(text) : jsonCredential(text);
    if (found) this.addCredential(this.bodyKind === FORM ? 'http-form-password' : 'http-json-password', found.user);
  }

  // --- responses -----------------------------------------------------------------

  private statusLine(line: Buffer, s: number, e: number): boolean {
    if (!startsWithFold(line, s, e, 'HTTP/')) return false;
    const c = skipSpaces(line, wordEnd(line, s, e), e);
    const d0 = line[c] - 0x30;
    const d1 = line[c + 1] - 0x30;
    const d2 = line[c + 2] - 0x30;
    if (!(c + 3 <= e && d0 >= 1 && d0 <= 5 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return false;
    this.status = d0 * 100 + d1 * 10 + d2;
    this.resLength = -1;
    this.resChunked = false;
    this.resUpgrade = null;
    return true;
  }

  private responseHeader(line: Buffer, ns: number, ne: number, vs: number, ve: number): void {
    const n = ne - ns;
    if (n === 14 && equalsFold(line, ns, ne, 'CONTENT-LENGTH')) this.resLength = contentLength(line, vs, ve);
    else if (n === 17 && equalsFold(line, ns, ne, 'TRANSFER-ENCODING')) this.resChunked = endsChunked(line, vs, ve);
    else if (n === 7 && equalsFold(line, ns, ne, 'UPGRADE')) this.resUpgrade = cleanText(line, vs, ve, 64).toLowerCase();
  }

  private responseHeadersDone(): number {
    const status = this.status;
    if (status >= 100 && status < 200 && status !== 101) return 0; // interim: the final response follows
    const entry = this.queue.length > 0 ? this.queue.shift()! : '';
    const tlsAsked = entry.endsWith(' TLS');
    const method = tlsAsked ? entry.slice(0, -4) : entry;
    if (this.firstStatus) {
      this.firstStatus = false;
      this.detail('status', status);
    }
    const tlsUpgrade = this.resUpgrade !== null && this.resUpgrade.includes('tls/');
    if (status === 426 && tlsUpgrade) this.advertised(true);
    if (tlsAsked && (this.upgradeState === UPGRADE_REQUESTED || this.upgradeState === UPGRADE_ACCEPTED)) {
      if (status === 101 && tlsUpgrade) {
        this.acceptUpgrade();
        return BODY_SWITCH;
      }
      this.refuseUpgrade();
    }
    if (status === 101) {
      if (this.resUpgrade) this.detail('upgrade', this.resUpgrade);
      this.finish();
      return BODY_STOP;
    }
    if (method === 'CONNECT') {
      if (status >= 200 && status < 300 && (this.upgradeState === UPGRADE_REQUESTED || this.upgradeState === UPGRADE_ACCEPTED)) {
        this.acceptUpgrade();
        return BODY_SWITCH;
      }
      this.refuseUpgrade();
    }
    if (method === 'HEAD' || status === 204 || status === 304) return 0;
    if (this.resChunked) return BODY_CHUNKED;
    if (this.resLength >= 0) return this.resLength;
    return BODY_TO_CLOSE;
  }
}

registerAppParser('http', () => new HttpParser());
