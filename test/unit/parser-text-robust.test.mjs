// The text protocol parsers never throw and stay bounded: binary garbage, endless
// lines, absurd lengths, lost bytes, mutated conversations; and they give up (done)
// once their per-direction budget is spent, so long sessions cost nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createAppParser } from '../../agent/dist/protocols/app-parser.js';
import { parserFaults } from '../../agent/dist/protocols/text/session.js';
import { C, S, play, rng } from './parser-text-harness.mjs';

const PROTOCOLS = ['smtp', 'imap', 'pop3', 'ftp', 'xmpp', 'irc', 'http', 'telnet', 'redis'];

function feedAll(p, fromClient, data, random) {
  let off = 0;
  while (off < data.length && !p.done) {
    const n = Math.min(data.length - off, 1 + Math.floor(random() * 3000));
    const used = p.feed(fromClient, data, off, n);
    assert.ok(used >= 0 && used <= n, `feed returned ${used} of ${n}`);
    if (used < n) return false; // the direction switched: the flow stops feeding it
    off += n;
  }
  return true;
}

test('every text parser is registered', () => {
  for (const name of PROTOCOLS) assert.ok(createAppParser(name), name);
});

test('binary garbage, both directions, any chunking: no throw, results in range, facts serialisable', () => {
  const random = rng(7);
  for (const name of PROTOCOLS) {
    for (let round = 0; round < 20; round++) {
      const p = createAppParser(name);
      for (let k = 0; k < 6; k++) {
        const data = Buffer.alloc(1 + Math.floor(random() * 5000));
        for (let i = 0; i < data.length; i++) data[i] = random() < 0.1 ? 0x0a : Math.floor(random() * 256);
        feedAll(p, k % 2 === 0, data, random);
        if (random() < 0.2) p.gap(random() < 0.5);
      }
      p.end();
      JSON.parse(JSON.stringify(p.facts));
    }
  }
});

test('text-like garbage with protocol keywords: no throw', () => {
  const words = ['STARTTLS', 'AUTH', 'PLAIN', 'LOGIN', '{99999999999}', '{5}', '*', '+', '250-', '220', '234', '+OK', '-ERR', 'a1', 'OK', 'PASS', 'USER', 'NICK', 'CONNECT', 'HTTP/1.1', 'Content-Length:', '-5', 'Transfer-Encoding: chunked', 'zz', '<stream:stream', '<starttls', '<proceed/>', '<auth mechanism="PLAIN">', '</auth>', '$-1', '*3', 'HELLO', '=', '\xff\xfa\x2e', '\xff\xf0', ':', '\r\n', '\n', '\r\n\r\n', ' ', '"', '"\\'];
  const random = rng(11);
  for (const name of PROTOCOLS) {
    for (let round = 0; round < 40; round++) {
      const p = createAppParser(name);
      for (let k = 0; k < 8 && !p.done; k++) {
        let s = '';
        while (s.length < 400) s += words[Math.floor(random() * words.length)] + (random() < 0.5 ? ' ' : '');
        feedAll(p, random() < 0.5, Buffer.from(s, 'latin1'), random);
      }
      p.end();
      JSON.parse(JSON.stringify(p.facts));
    }
  }
});

test('an endless line (2 MiB, no line end) is bounded and fast', () => {
  const data = Buffer.alloc(2 << 20, 0x41);
  for (const name of PROTOCOLS) {
    const p = createAppParser(name);
    const t0 = process.hrtime.bigint();
    feedAll(p, true, data, rng(3));
    feedAll(p, false, data, rng(4));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 500, `${name}: ${ms} ms`);
    assert.ok(p.done, `${name}: done after the budget`);
  }
});

test('after an over-long line (truncated, not kept whole) the next line is parsed normally', () => {
  const long = 'X'.repeat(20000) + '\r\n';
  const r = play('smtp', [[S, '220 x ESMTP\r\n'], [C, long + 'AUTH PLAIN ' + Buffer.from('\0ann\0pw').toString('base64') + '\r\n']], { maxChunk: 700 });
  assert.equal(r.facts.credentials, [{ kind: 'smtp-auth-plain', user: 'ann' }]);
  const h = play('http', [[C, 'GET / HTTP/1.1\r\nX-Big: ' + 'y'.repeat(30000) + '\r\nAuthorization: Basic ' + Buffer.from('bo:pw').toString('base64') + '\r\n\r\n']], { maxChunk: 1000 });
  assert.equal(h.facts.credentials, [{ kind: 'http-basic', user: 'bo' }]);
});

test('budget: a long cleartext session makes every parser done', () => {
  const sessions = {
    smtp: [[S, '220 x ESMTP\r\n'], [C, 'EHLO a\r\n'], [S, '250 x\r\n'], [C, 'NOOP\r\n'.repeat(20000)]],
    imap: [[S, '* OK ready\r\n'], [C, 'a NOOP\r\n'.repeat(20000)]],
    pop3: [[S, '+OK ready\r\n'], [C, 'NOOP\r\n'.repeat(20000)]],
    ftp: [[S, '220 FTP\r\n'], [C, 'NOOP\r\n'.repeat(20000)]],
    xmpp: [[C, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"], [C, '<presence/>'.repeat(10000)]],
    irc: [[C, 'NICK a\r\nUSER a 0 * :a\r\n'], [C, 'PRIVMSG #x :hello\r\n'.repeat(5000)]],
    http: [[C, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(5000)]],
    telnet: [[S, Buffer.from([255, 251, 1])], [C, 'ls -l\r\n'.repeat(20000)]],
    redis: [[C, '*1\r\n$4\r\nPING\r\n'.repeat(5000)]],
  };
  for (const name of PROTOCOLS) {
    const r = play(name, sessions[name], { maxChunk: 1400 });
    assert.ok(r.parser.done, name);
  }
});

test('mutated conversations: no throw', () => {
  const base = {
    smtp: '220 x ESMTP\r\nEHLO a\r\n250-x\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\nAUTH PLAIN AGEAYg==\r\nSTARTTLS\r\n220 go\r\n',
    imap: '* OK [CAPABILITY STARTTLS]\r\na LOGIN {3}\r\nbob {2}\r\npw\r\na OK\r\nb STARTTLS\r\nb OK\r\n',
    pop3: '+OK hi\r\nCAPA\r\n+OK\r\nSTLS\r\n.\r\nUSER a\r\nPASS b\r\n+OK\r\n',
    ftp: '220-FTP\r\n220 x\r\nFEAT\r\n211-f\r\n AUTH TLS\r\n211 e\r\nAUTH TLS\r\n234 ok\r\n',
    xmpp: "<stream:stream><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features><auth mechanism='PLAIN'>AGEAYg==</auth><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    irc: 'PASS x\r\nNICK y\r\nAUTHENTICATE PLAIN\r\nAUTHENTICATE AGEAYg==\r\nSTARTTLS\r\n:s 670 :ok\r\n',
    http: 'CONNECT a:1 HTTP/1.1\r\nProxy-Authorization: Basic YTpi\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
    telnet: '\xff\xfd\x2e\xff\xfa\x2e\x01\xff\xf0login: a\r\nPassword: b\r\n',
    redis: '*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$1\r\np\r\nAUTH x\r\n',
  };
  const random = rng(5);
  for (const name of PROTOCOLS) {
    for (let round = 0; round < 200; round++) {
      const b = Buffer.from(base[name], 'latin1');
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) b[Math.floor(random() * b.length)] = Math.floor(random() * 256);
      const p = createAppParser(name);
      feedAll(p, round % 2 === 0, b, random);
      feedAll(p, round % 2 === 1, b, random);
      JSON.parse(JSON.stringify(p.facts));
    }
  }
});

test('lost bytes: after a gap a direction is not parsed further (framing unknown), never throws', () => {
  const p = createAppParser('http');
  p.feed(true, Buffer.from('POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nab'), 0, 40);
  p.gap(true);
  const more = Buffer.from('GET / HTTP/1.1\r\nAuthorization: Basic YTpi\r\n\r\n');
  assert.is(p.feed(true, more, 0, more.length), more.length);
  assert.is(p.facts.credentials, undefined);
  assert.ok(p.done, 'the client side is gone: nothing more to learn');
});

test('no parser threw during any of the above (faults are caught, but must not happen)', () => {
  assert.is(parserFaults.count, 0, String(parserFaults.last?.stack ?? ''));
});

test.run();
