// Self-protection through the real CLI: binding beyond loopback needs TLS and a token;
// with them, requests and WebSocket upgrades without the token are refused, a
// cross-origin WebSocket is refused, and TLS is 1.2+ with the profile's suites only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import https from 'node:https';
import WebSocket from 'ws';
import { openDatabase } from '../../agent/dist/store/index.js';
import { tempDir, runCli, startCli, CAPTURES } from './helpers.mjs';

const dir = tempDir();
const dbFile = join(dir, 'sec.db');
openDatabase(dbFile).close();

test('a non-loopback bind without TLS or without a token is refused with one clear line, exit 2', async () => {
  const cases = [
    [['serve', '--db', dbFile, '--listen', '0.0.0.0:0'], /without TLS .* and an access token/],
    [['serve', '--db', dbFile, '--listen', '0.0.0.0:0', '--tls-self-signed'], /without an access token \(INTRANSIT_TOKEN or --generate-token\)/],
    [['serve', '--db', dbFile, '--listen', '0.0.0.0:0', '--generate-token'], /without TLS \(--tls-cert\/--tls-key or --tls-self-signed\)/],
    [['serve', '--db', dbFile, '--listen', '[::]:0', '--tls-cert', join(dir, 'none.pem'), '--tls-key', join(dir, 'none.pem'), '--generate-token'], /--tls-cert .*none\.pem: ENOENT/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.is(r.code, 2, args.join(' '));
    assert.match(r.stderr, re);
    assert.is(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  const fresh = join(dir, 'untouched.db');
  const r = await runCli(['replay', join(CAPTURES, 'tls13-openssl.pcap'), `--db=${fresh}`, '--serve', '10.1.2.3:7443']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /refusing to serve on 10\.1\.2\.3:7443/);
  assert.not.ok(existsSync(fresh), 'refused before anything was written');
  const env = await runCli(['serve', '--db', dbFile, '--listen', '0.0.0.0:0', '--tls-self-signed'], { env: { INTRANSIT_TOKEN: 'short' } });
  assert.is(env.code, 2);
  assert.match(env.stderr, /at least 16 characters/);
});

function get(port, path, { headers = {}, ca } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, headers, ca }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(port, headers, ca) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { headers, ca });
    ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.type === 'hello') {
        ws.close();
        resolve('hello');
      }
    });
    ws.on('unexpected-response', (_q, res) => resolve(res.statusCode));
    ws.on('error', (e) => resolve(e.message));
  });
}

function sClient(port, args) {
  const r = spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-brief', ...args], { input: '', encoding: 'utf8', timeout: 15000 });
  return r.stdout + r.stderr;
}

test('on a non-loopback address: HTTPS with a printed fingerprint, token required, same origin only, TLS 1.2+ with the profile suites', async () => {
  const { child, match, stderr } = await startCli(['serve', '--db', dbFile, '--listen', '0.0.0.0:0', '--tls-self-signed', '--generate-token'], /access token \(shown once\): (\S+)/);
  try {
    const token = match[1];
    const out = stderr();
    const port = Number(/https:\/\/[^:]+:(\d+)\//.exec(out)[1]);
    const certPem = readFileSync(join(dir, 'tls', 'cert.pem'), 'utf8');
    const fp = /fingerprint ([0-9A-F:]+)/.exec(out)[1];
    assert.is(fp, new X509Certificate(certPem).fingerprint256, 'the printed fingerprint is the certificate served');
    const ca = certPem;
    const no = await get(port, '/api/info', { ca });
    assert.is(no.status, 401);
    assert.is(no.headers['www-authenticate'], 'Bearer');
    assert.is((await get(port, '/api/sessions', { ca, headers: { Authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
    const yes = await get(port, '/api/info', { ca, headers: { Authorization: `Bearer ${token}` } });
    assert.is(yes.status, 200);
    assert.is(JSON.parse(yes.body).auth, 'token');
    assert.is(yes.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(yes.headers['content-security-policy'], /default-src 'self'/);
    const page = await get(port, '/', { ca });
    assert.is(page.status, 200, 'the viewer page itself holds no data and loads without the token');
    assert.is((await get(port, '/login?token=nope', { ca })).status, 401);
    const login = await get(port, `/login?token=${token}`, { ca });
    assert.is(login.status, 303);
    const cookie = login.headers['set-cookie'][0];
    assert.match(cookie, /^intransit_token=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Secure/);
    const viaCookie = await get(port, '/api/runs', { ca, headers: { Cookie: cookie.split(';')[0] } });
    assert.is(viaCookie.status, 200);

    const origin = `https://127.0.0.1:${port}`;
    assert.is(await upgrade(port, {}, ca), 401, 'WebSocket without the token');
    assert.is(await upgrade(port, { Cookie: cookie.split(';')[0], Origin: 'https://evil.example' }, ca), 403, 'cross-origin WebSocket');
    assert.is(await upgrade(port, { Cookie: cookie.split(';')[0], Origin: `http://127.0.0.1:${port}` }, ca), 403, 'plain-http origin');
    assert.is(await upgrade(port, { Cookie: cookie.split(';')[0], Origin: origin }, ca), 'hello');
    assert.is(await upgrade(port, { Authorization: `Bearer ${token}` }, ca), 'hello', 'a non-browser client with the header');

    assert.match(sClient(port, ['-tls1_1']), /alert|error|no protocols available|wrong version/i, 'TLS 1.1 refused');
    assert.match(sClient(port, ['-tls1_2', '-cipher', 'AES128-SHA']), /alert|handshake failure|error/i, 'static RSA suite refused');
    assert.match(sClient(port, ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA']), /alert|handshake failure|error/i, 'SHA-1 CBC suite refused');
    const t12 = sClient(port, ['-tls1_2']);
    assert.match(t12, /Protocol version: TLSv1\.2/);
    assert.match(t12, /Ciphersuite: ECDHE-RSA-AES(128|256)-(GCM-)?SHA(256|384)/);
    const t13 = sClient(port, ['-tls1_3']);
    assert.match(t13, /Protocol version: TLSv1\.3/);
    assert.match(sClient(port, ['-tls1_3', '-groups', 'P-384']), /alert|handshake failure|error/i, 'only X25519 and P-256');
    assert.match(sClient(port, ['-tls1_3', '-groups', 'P-256']), /Protocol version: TLSv1\.3/);
  } finally {
    child.kill('SIGTERM');
  }
});

test('INTRANSIT_TOKEN from the environment is used and never printed; the certificate is reused', async () => {
  const before = readFileSync(join(dir, 'tls', 'cert.pem'), 'utf8');
  const token = 'env-token-0123456789abcdef';
  const { child, stderr } = await startCli(['serve', '--db', dbFile, '--listen', '0.0.0.0:0', '--tls-self-signed'], /access token: INTRANSIT_TOKEN/, { env: { INTRANSIT_TOKEN: token } });
  try {
    const out = stderr();
    assert.not.match(out, new RegExp(token));
    const port = Number(/https:\/\/[^:]+:(\d+)\//.exec(out)[1]);
    assert.is(readFileSync(join(dir, 'tls', 'cert.pem'), 'utf8'), before);
    assert.is((await get(port, '/api/info', { ca: before, headers: { Authorization: `Bearer ${token}` } })).status, 200);
    assert.is((await get(port, '/api/info', { ca: before })).status, 401);
  } finally {
    child.kill('SIGTERM');
  }
});

test.run();
