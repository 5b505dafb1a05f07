// HTTP/1.x cleartext parser: framing (Content-Length, chunked, HEAD, 1xx, 304,
// pipelining), CONNECT tunnels with the exact byte where the tunnel starts, 101
// upgrades, and credentials (Basic, Bearer, proxy, form, JSON, query) without secrets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { C, S, assertNoSecret, everyChunking, lengthBefore, play, tlsBytes } from './parser-text-harness.mjs';

const SECRET = 'S3cr3t-Never-Shown';
const b64 = (s) => Buffer.from(s, 'latin1').toString('base64');
const CH = tlsBytes(1, 80);
const SH = tlsBytes(2, 90);

function chunked(text, sizes) {
  let out = '';
  let i = 0;
  for (const n of sizes) {
    out += `${n.toString(16)};ext=1\r\n${text.slice(i, i + n)}\r\n`;
    i += n;
  }
  return `${out}0\r\nX-Trailer: t\r\n\r\n`;
}

test('http: CONNECT + 200: tunnel target, both directions split at the end of the request / response', () => {
  const script = [
    [C, `CONNECT secure.example.com:443 HTTP/1.1\r\nHost: secure.example.com:443\r\nProxy-Authorization: Basic ${b64(`proxyuser:${SECRET}`)}\r\nUser-Agent: t\r\n\r\n`],
    [S, 'HTTP/1.1 200 Connection Established\r\nProxy-agent: Apache\r\n\r\n'],
    [C, CH],
    [S, SH],
  ];
  everyChunking('http', script, (r, how) => {
    assert.is(r.facts.upgrade, 'tunnel', how);
    assert.is(r.facts.tunnelTarget, 'secure.example.com:443', how);
    assert.is(r.split.c, lengthBefore(script, C, 2), how);
    assert.is(r.split.s, lengthBefore(script, S, 3), how);
    assert.equal(r.rest.s, SH);
    assert.equal(r.facts.credentials, [{ kind: 'http-proxy-basic', user: 'proxyuser' }]);
    assert.equal(r.facts.details, { method: 'CONNECT', host: 'secure.example.com:443', status: 200 });
    assert.is(r.facts.starttls, undefined);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('http: CONNECT refused with 407 (body skipped), retried with credentials, then 200', () => {
  const body = '<html>HTTP/1.1 200 OK</html>';
  const script = [
    [C, 'CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\n'],
    [S, `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="p"\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    [C, `CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\nProxy-Authorization: Bearer ${SECRET}\r\n\r\n`],
    [S, 'HTTP/1.1 200 OK\r\n\r\n'],
    [C, 'not TLS inside'],
    [S, 'SSH-2.0-OpenSSH_9.6\r\n'],
  ];
  everyChunking('http', script, (r, how) => {
    assert.is(r.split.c, lengthBefore(script, C, 4), how);
    assert.is(r.split.s, lengthBefore(script, S, 5), how);
    assert.is(r.facts.tunnelTarget, 'db.internal:5432');
    assert.is(r.facts.details.status, 407);
    assert.equal(r.facts.credentials, [{ kind: 'http-proxy-bearer', user: null }]);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('http: the client sends its ClientHello before the CONNECT response is in view', () => {
  const script = [
    [C, 'CONNECT a.example:443 HTTP/1.0\r\n\r\n'],
    [C, CH],
    [S, 'HTTP/1.0 200 OK\r\nVia: proxy\r\n\r\n'],
    [S, SH],
  ];
  everyChunking('http', script, (r, how) => {
    assert.is(r.split.c, lengthBefore(script, C, 1), how);
    assert.is(r.split.s, lengthBefore(script, S, 3), how);
    assert.is(r.facts.tunnelTarget, 'a.example:443');
  });
});

test('http: pipelined requests, chunked / Content-Length / HEAD / 304 / 100-continue responses, Basic and Bearer', () => {
  const page = 'Authorization: Basic eHh4Onl5eQ==\r\n\r\nGET / HTTP/1.1\r\n';
  const script = [
    [C, `GET /a HTTP/1.1\r\nHost: www.example.com\r\nAuthorization: Basic ${b64(`alice:${SECRET}`)}\r\n\r\nHEAD /b HTTP/1.1\r\nHost: www.example.com\r\n\r\nGET /c HTTP/1.1\r\nhost: www.example.com\r\nIf-None-Match: "x"\r\n\r\n`],
    [S, `HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${chunked(page, [5, 20, page.length - 25])}HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n`],
    [C, `PUT /d HTTP/1.1\r\nHost: www.example.com\r\nAuthorization: Bearer ${SECRET}\r\nExpect: 100-continue\r\nContent-Length: ${page.length}\r\n\r\n`],
    [S, 'HTTP/1.1 100 Continue\r\n\r\n'],
    [C, page],
    [S, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'],
    [C, 'GET /e HTTP/1.1\r\nHost: www.example.com\r\n\r\n'],
  ];
  everyChunking('http', script, (r, how) => {
    assert.equal(r.facts.credentials, [{ kind: 'http-basic', user: 'alice' }, { kind: 'http-bearer', user: null }], how);
    assert.equal(r.facts.details, { method: 'GET', host: 'www.example.com', status: 200 }, how);
    assert.is(r.split.c, -1);
    assert.is(r.split.s, -1);
    assert.not.ok(r.parser.done, how);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('http: form post (chunked) with a password field, JSON login, query-string password', () => {
  const form = `csrf=abc&user%5Blogin%5D=mallory%40example.com&user%5Bpassword%5D=${encodeURIComponent(SECRET)}&remember=1`;
  const json = JSON.stringify({ auth: { username: 'jay', password: SECRET }, remember: true });
  const script = [
    [C, `POST /session HTTP/1.1\r\nHost: app.example\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(form, [10, form.length - 10])}`],
    [S, 'HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n'],
    [C, `POST /api/login HTTP/1.1\r\nHost: app.example\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}`],
    [S, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'],
    [C, `GET /login?log=kim&pwd=${SECRET}&x= HTTP/1.1\r\nHost: app.example\r\n\r\n`],
    [C, 'POST /search HTTP/1.1\r\nHost: app.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 25\r\n\r\nq=password&passport=12345'],
  ];
  everyChunking('http', script, (r, how) => {
    assert.equal(
      r.facts.credentials,
      [
        { kind: 'http-form-password', user: 'mallory@example.com' },
        { kind: 'http-json-password', user: 'jay' },
        { kind: 'http-query-password', user: 'kim' },
      ],
      how,
    );
    assertNoSecret(assert, r.facts, SECRET);
    assertNoSecret(assert, r.facts, encodeURIComponent(SECRET));
  });
});

test('http: 101 Switching Protocols (WebSocket): done, nothing handed over', () => {
  const script = [
    [C, 'GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'],
    [S, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n'],
    [S, Buffer.from([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])],
    [C, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0, 0, 0, 0])],
  ];
  everyChunking('http', script, (r, how) => {
    assert.ok(r.parser.done, how);
    assert.is(r.doneAfter, 2, how); // (the server's two messages are one run of its stream)
    assert.is(r.facts.details.upgrade, 'websocket');
    assert.is(r.facts.details.status, 101);
    assert.is(r.split.c, -1);
    assert.is(r.facts.upgrade, undefined);
  });
});

test('http: RFC 2817 Upgrade: TLS/1.0 answered 101 is a STARTTLS (exact split); 426 offers it', () => {
  const script = [
    [C, 'POST /printers/p1 HTTP/1.1\r\nHost: cups.example:631\r\nContent-Length: 3\r\n\r\nabc'],
    [S, 'HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.2, HTTP/1.1\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n'],
    [C, 'OPTIONS * HTTP/1.1\r\nHost: cups.example:631\r\nUpgrade: TLS/1.2\r\nConnection: Upgrade\r\n\r\n'],
    [S, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: TLS/1.2, HTTP/1.1\r\nConnection: Upgrade\r\n\r\n'],
    [C, CH],
    [S, SH],
  ];
  everyChunking('http', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.facts.upgrade, 'tls', how);
    assert.is(r.split.c, lengthBefore(script, C, 4), how);
    assert.is(r.split.s, lengthBefore(script, S, 5), how);
    assert.is(r.facts.tunnelTarget, undefined);
  });
});

test('http: a response without length runs to the close; an HTTP/2 preface ends the parser', () => {
  const r1 = play('http', [
    [C, 'GET / HTTP/1.0\r\n\r\n'],
    [S, 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nHTTP/1.1 200 OK\r\n'],
    [C, 'GET /x HTTP/1.0\r\nAuthorization: Basic eDp5\r\n\r\n'],
  ]);
  assert.equal(r1.facts.credentials, [{ kind: 'http-basic', user: 'x' }]);
  const r2 = play('http', [[C, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n']]);
  assert.ok(r2.parser.done);
});

test.run();
