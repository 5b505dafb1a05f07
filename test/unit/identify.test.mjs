// identify(): registry semantics, every protocol's opening exchange, no recogniser
// accepting another protocol's bytes, partial views never giving a wrong answer, and
// random bytes/text accepted by none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  identify,
  looksLikeTls,
  SIGNATURES,
  NEED_MORE,
  NO,
  YES,
  INSPECT_LIMIT,
} from '../../agent/dist/protocols/identify.js';
import { SAMPLES, prng, tlsHello, sslv2ClientHello, bytes } from './identify-samples.mjs';

const EMPTY = Buffer.alloc(0);
const T = (s) => Buffer.from(s, 'latin1');
const nameOf = (r) => (r === null ? null : r === NEED_MORE ? 'need-more' : r.name);
const label = (s) => `${s.name}${s.label ? ` (${s.label})` : ''} over ${s.transport}`;

test('constants and registry shape', () => {
  assert.is(NEED_MORE, -1);
  assert.is(NO, 0);
  assert.is(YES, 1);
  assert.ok(INSPECT_LIMIT >= 1024);
  const names = new Set(SIGNATURES.map((s) => s.name));
  for (const n of ['tls', 'ssh', 'http', 'ftp', 'smtp', 'pop3', 'imap', 'telnet', 'redis', 'mysql', 'postgresql', 'ldap', 'dns', 'irc', 'xmpp', 'socks', 'rdp', 'smb', 'quic', 'dtls'])
    assert.ok(names.has(n), `missing ${n}`);
  for (const s of SIGNATURES) {
    assert.type(s.detect, 'function');
    assert.ok(['tcp', 'udp', 'both'].includes(s.transport), s.name);
    assert.ok(s.encrypted === true || s.encrypted === false || s.encrypted === null, s.name);
  }
  const enc = (n) => SIGNATURES.find((s) => s.name === n).encrypted;
  for (const n of ['tls', 'ssh', 'quic', 'dtls']) assert.is(enc(n), true, n);
  for (const n of ['http', 'ftp', 'smtp', 'pop3', 'imap', 'telnet', 'redis', 'mysql', 'postgresql', 'ldap', 'dns', 'irc', 'xmpp']) assert.is(enc(n), false, n);
  assert.is(SIGNATURES[0].name, 'tls', 'TLS is tried first');
});

test('every sample is identified, from both sides and from each side alone where it is conclusive', () => {
  for (const s of SAMPLES) {
    assert.is(nameOf(identify(s.transport, s.c, s.s, true, true)), s.name, label(s));
    assert.is(nameOf(identify(s.transport, s.c, s.s, false, false)), s.name, `${label(s)} (sides still open)`);
  }
  // one side alone suffices for these
  const clientAlone = ['tls', 'ssh', 'http', 'smtp', 'imap', 'telnet', 'redis', 'mysql', 'postgresql', 'ldap', 'dns', 'irc', 'xmpp', 'rdp', 'smb', 'quic', 'dtls'];
  for (const s of SAMPLES) {
    if (!clientAlone.includes(s.name) || s.label) continue;
    assert.is(nameOf(identify(s.transport, s.c, EMPTY, true, true)), s.name, `${label(s)}: client side alone`);
  }
  const serverAlone = ['tls', 'ssh', 'http', 'ftp', 'smtp', 'pop3', 'imap', 'telnet', 'mysql', 'postgresql', 'ldap', 'dns', 'irc', 'xmpp', 'rdp', 'smb', 'quic', 'dtls'];
  for (const s of SAMPLES) {
    if (!serverAlone.includes(s.name) || s.label) continue;
    assert.is(nameOf(identify(s.transport, EMPTY, s.s, true, true)), s.name, `${label(s)}: server side alone`);
  }
});

test('transport filter: UDP recognisers are not tried on TCP and conversely', () => {
  const quic = SAMPLES.find((s) => s.name === 'quic');
  assert.is(identify('tcp', quic.c, quic.s, true, true), null);
  const http = SAMPLES.find((s) => s.name === 'http');
  assert.is(identify('udp', http.c, http.s, true, true), null);
  const tls = SAMPLES.find((s) => s.name === 'tls');
  assert.is(identify('udp', tls.c, tls.s, true, true), null);
});

test('no recogniser accepts another protocol\'s opening (either way round)', () => {
  for (const sample of SAMPLES) {
    for (const sig of SIGNATURES) {
      if (sig.name === sample.name) continue;
      for (const [c, s] of [[sample.c, sample.s], [sample.s, sample.c], [sample.c, EMPTY], [EMPTY, sample.c], [sample.s, EMPTY], [EMPTY, sample.s]]) {
        assert.is.not(sig.detect(c, s, true, true), YES, `${sig.name} (${sig.transport}) accepted ${label(sample)}`);
      }
    }
  }
});

test('growing prefixes: NEED_MORE until conclusive, never another protocol', () => {
  for (const s of SAMPLES) {
    const seen = new Set();
    for (let n = 0; n <= s.c.length; n++) {
      for (const m of [0, Math.min(n, s.s.length), s.s.length]) {
        const c = s.c.subarray(0, n);
        const sv = s.s.subarray(0, m);
        const got = nameOf(identify(s.transport, c, sv, false, false));
        seen.add(got);
        assert.ok(got === 'need-more' || got === s.name, `${label(s)} with ${n}+${m} bytes: ${got}`);
      }
    }
    assert.ok(seen.has('need-more'), `${label(s)}: the empty view must be NEED_MORE`);
  }
});

test('NEED_MORE / null semantics', () => {
  assert.is(identify('tcp', EMPTY, EMPTY, false, false), NEED_MORE);
  assert.is(identify('tcp', EMPTY, EMPTY, true, true), null);
  assert.is(identify('udp', EMPTY, EMPTY, true, true), null);
  assert.is(identify('tcp', T('GE'), EMPTY, false, false), NEED_MORE);
  assert.is(identify('tcp', T('GE'), EMPTY, true, true), null, 'a side that ended mid-token is not HTTP');
  assert.is(identify('tcp', T('hello, are you there?\n'), T('yes i am!\n'), true, true), null);
  assert.is(identify('tcp', T('yes i am!\n'), T('hello, are you there?\n'), true, true), null);
  assert.is(identify('tcp', bytes(0x16, 0x03), EMPTY, false, false), NEED_MORE);
});

test('roles swapped (no SYN: the server sent first): the caller\'s second, swapped call identifies', () => {
  const eitherWay = (t, a, b) => {
    const r = identify(t, a, b, true, true);
    return r !== null ? r : identify(t, b, a, true, true);
  };
  for (const s of SAMPLES) {
    if (s.name === 'socks' || s.label) continue; // SOCKS needs the client greeting in the client role
    assert.is(nameOf(eitherWay(s.transport, s.s, s.c)), s.name, `${label(s)} swapped`);
  }
  const http = SAMPLES.find((s) => s.name === 'http');
  assert.is(identify('tcp', http.s, http.c, true, true), null, 'one call takes c as the client: a response is no request');
  const tls = SAMPLES.find((s) => s.name === 'tls');
  assert.is(nameOf(identify('tcp', tls.s, tls.c, true, true)), 'tls', 'symmetric recognisers accept either role');
});

test('looksLikeTls: ClientHello record or SSLv2 ClientHello only', () => {
  assert.ok(looksLikeTls(tlsHello(1)));
  assert.ok(looksLikeTls(tlsHello(1, 0x0300, 0x0300)), 'SSL 3.0');
  assert.ok(looksLikeTls(tlsHello(1, 0x0303, 0x0303)));
  assert.ok(looksLikeTls(sslv2ClientHello()));
  assert.not.ok(looksLikeTls(tlsHello(2)), 'a ServerHello is not a ClientHello');
  assert.not.ok(looksLikeTls(tlsHello(1, 0x0305)), 'record version 3.5');
  assert.not.ok(looksLikeTls(tlsHello(1, 0x0301, 0x0205)), 'hello version 2.5');
  assert.not.ok(looksLikeTls(tlsHello(1).subarray(0, 4)), 'truncated header');
  const bad = Buffer.from(tlsHello(1));
  bad.writeUInt16BE(0, 3);
  assert.not.ok(looksLikeTls(bad), 'zero-length record');
  bad.writeUInt16BE(0x5000, 3);
  assert.not.ok(looksLikeTls(bad), 'record longer than 2^14 + 2048');
  assert.not.ok(looksLikeTls(EMPTY));
  assert.not.ok(looksLikeTls(T('GET / HTTP/1.1\r\n')));
});

test('random bytes are accepted by no recogniser (fixed seed)', () => {
  const rnd = prng(2024);
  for (let i = 0; i < 30000; i++) {
    const b = rnd.bytes(1 + (rnd.next() % 400));
    for (const sig of SIGNATURES) {
      assert.is.not(sig.detect(b, EMPTY, true, true), YES, `${sig.name} accepted random ${b.subarray(0, 16).toString('hex')}`);
      assert.is.not(sig.detect(EMPTY, b, true, true), YES, `${sig.name} accepted random ${b.subarray(0, 16).toString('hex')} as server`);
    }
  }
});

test('random text lines are accepted by no recogniser (fixed seed)', () => {
  const rnd = prng(77);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789      .,:;-_/*+<>=?!"\'()[]{}@#$%&';
  for (let i = 0; i < 30000; i++) {
    let text = '';
    for (let l = 1 + (rnd.next() % 3); l > 0; l--) {
      for (let k = 1 + (rnd.next() % 40); k > 0; k--) text += alphabet[rnd.next() % alphabet.length];
      text += '\r\n';
    }
    const b = T(text);
    for (const sig of SIGNATURES) {
      assert.is.not(sig.detect(b, EMPTY, true, true), YES, `${sig.name} accepted ${JSON.stringify(text)}`);
      assert.is.not(sig.detect(EMPTY, b, true, true), YES, `${sig.name} accepted ${JSON.stringify(text)} as server`);
    }
  }
});

test('mutated and truncated samples never throw and never become another protocol', () => {
  const rnd = prng(5);
  for (const s of SAMPLES) {
    for (let k = 0; k < 300; k++) {
      const c = Buffer.from(s.c);
      const sv = Buffer.from(s.s);
      for (let j = 1 + (rnd.next() % 3); j > 0; j--) {
        const target = rnd.next() & 1 && sv.length ? sv : c;
        if (target.length) target[rnd.next() % target.length] = rnd.next() & 255;
      }
      const cut = rnd.next() % (c.length + 1);
      const got = nameOf(identify(s.transport, c.subarray(0, cut), sv, rnd.next() & 1 ? true : false, true));
      // a mutation may destroy the signature (null) but must not produce a different protocol,
      // except where the mutated bytes happen to form a swapped-role view of the same protocol
      assert.ok(got === null || got === 'need-more' || got === s.name, `${label(s)} mutated: ${got}`);
    }
  }
});

test('large buffers: only a bounded prefix is looked at', () => {
  const big = Buffer.alloc(1 << 20, 0x41);
  for (const sig of SIGNATURES) assert.is.not(sig.detect(big, big, true, true), YES, sig.name);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) identify('tcp', big, big, true, true);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 2000, `200 identifications of 1 MiB sides took ${ms} ms`);
});

test.run();
