// Shared by the back-end tests: a synthetic capture of many short HTTP connections,
// a temporary directory, the agent's CLI as a child, and small HTTP helpers.
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'agent', 'dist', 'cli.js');
export const CAPTURES = join(ROOT, 'captures');

export function tempDir(prefix = 'intransit-backend-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function ipv4Header(buf, off, len, src, dst) {
  buf[off] = 0x45;
  buf.writeUInt16BE(len, off + 2);
  buf[off + 8] = 64;
  buf[off + 9] = 6;
  src.forEach((b, i) => (buf[off + 12 + i] = b));
  dst.forEach((b, i) => (buf[off + 16 + i] = b));
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += buf.readUInt16BE(off + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt16BE(~sum & 0xffff, off + 10);
}

/** One Ethernet/IPv4/TCP frame. */
function frame(src, dst, sport, dport, seq, ack, flags, payload) {
  const len = 14 + 20 + 20 + payload.length;
  const b = Buffer.alloc(len);
  b.writeUInt16BE(0x0800, 12);
  ipv4Header(b, 14, 40 + payload.length, src, dst);
  const t = 34;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE(seq >>> 0, t + 4);
  b.writeUInt32BE(ack >>> 0, t + 8);
  b[t + 12] = 0x50;
  b[t + 13] = flags;
  b.writeUInt16BE(65535, t + 14);
  payload.copy(b, t + 20);
  return b;
}

/**
 * Classic pcap of `n` cleartext HTTP connections (SYN, SYN-ACK, request, RST), one
 * per millisecond of capture time: each becomes a session with a plaintext finding.
 */
export function httpSessionsPcap(file, n, startSec = 1_800_000_000) {
  const chunks = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(1, 20);
  chunks.push(gh);
  const rec = (usec, f) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(usec / 1e6), 0);
    h.writeUInt32LE(usec % 1e6, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    chunks.push(h, f);
  };
  for (let i = 0; i < n; i++) {
    const c = [10, 1 + ((i >> 16) & 127), (i >> 8) & 255, i & 255];
    const s = [192, 0, 2, 1 + (i % 200)];
    const cp = 1024 + (i % 60000);
    const t = startSec * 1e6 + i * 1000;
    const req = Buffer.from(`GET /item/${i} HTTP/1.1\r\nHost: h${i % 500}.example\r\nUser-Agent: t\r\n\r\n`);
    rec(t, frame(c, s, cp, 80, 1000, 0, 0x02, Buffer.alloc(0)));
    rec(t + 100, frame(s, c, 80, cp, 5000, 1001, 0x12, Buffer.alloc(0)));
    rec(t + 200, frame(c, s, cp, 80, 1001, 5001, 0x18, req));
    rec(t + 300, frame(s, c, 80, cp, 5001, 1001 + req.length, 0x14, Buffer.alloc(0)));
  }
  writeFileSync(file, Buffer.concat(chunks));
  return file;
}

/** Runs the CLI to completion: { code, stdout, stderr }. */
export function runCli(args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Starts a long-running CLI command and resolves once its stderr matches `ready`. */
export function startCli(args, ready, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`not ready after 20 s: ${stderr}`)), 20_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = ready.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, stderr: () => stderr });
      }
    });
    child.stdout.resume();
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ready: ${stderr}`));
    });
  });
}

/** Plain HTTP request: { status, headers, body (string), json }. */
export function request(url, { method = 'GET', headers = {}, body, raw } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, method, path: raw ?? u.pathname + u.search, headers }, (res) => {
      const parts = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** RSS of a process in bytes, from /proc. */
export function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
