// XMPP (RFC 6120 §4.2): each side opens an XML stream, optionally preceded by an XML
// declaration: <?xml version='1.0'?><stream:stream xmlns='jabber:client'
// xmlns:stream='http://etherx.jabber.org/streams' ...>. The stream element name (any
// namespace prefix) or the streams namespace within the first bytes identifies it;
// a generic XML document does not.

import { INSPECT_LIMIT, NO, YES, either, more, type ProtocolSignature, type Verdict } from '../signature.js';

const SCAN = 512;
const STREAM_NS = Buffer.from('etherx.jabber.org/streams', 'latin1');
const STREAM_ELEMENT = Buffer.from(':stream', 'latin1');

function skipSpaceAndBom(buf: Buffer): number {
  let i = 0;
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

function streamSide(buf: Buffer, done: boolean): Verdict {
  const i = skipSpaceAndBom(buf);
  if (i === buf.length) return i < 64 ? more(done) : NO;
  if (buf[i] !== 0x3c /* '<' */) return NO;
  if (i + 1 === buf.length) return more(done);
  const b = buf[i + 1];
  if (b !== 0x3f /* '?' */ && !((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a)) return NO;
  const end = Math.min(buf.length, i + SCAN);
  const window = buf.subarray(i, end);
  if (window.indexOf(STREAM_NS) >= 0) return YES;
  // "<stream:stream" or "<prefix:stream" opening tag, followed by a space or '>'
  const at = window.indexOf(STREAM_ELEMENT);
  if (at > 0) {
    const after = at + STREAM_ELEMENT.length;
    if (after < window.length && (window[after] === 0x20 || window[after] === 0x3e || window[after] === 0x0a)) {
      // the element name before ':' must follow a '<'
      let j = at - 1;
      while (j > 0 && window[j] !== 0x3c && window[j] > 0x20) j--;
      if (window[j] === 0x3c) return YES;
    }
  }
  return end - i >= SCAN || buf.length >= INSPECT_LIMIT ? NO : more(done);
}

export const XMPP: ProtocolSignature = {
  name: 'xmpp',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(streamSide(c, cDone), streamSide(s, sDone));
  },
};
