// Helpers of the end-to-end tests: the real agent as a child process serving a
// temporary database, and headless Chromium (Debian's) driven by playwright-core.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'agent', 'dist', 'cli.js');
export const CAPTURES = join(ROOT, 'captures');
export const UI_DIST = join(ROOT, 'ui', 'dist', 'index.html');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test', 'e2e', 'screenshots');

export function tempDir(prefix = 'intransit-e2e-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Why the browser tests cannot run here, or null. */
export function missing() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium)`;
  return null;
}

/** Runs the CLI to completion; resolves with its exit code and output. */
export function runCli(args, { timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`intransit ${args.join(' ')}: no exit within ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/**
 * Starts the agent with `--serve 127.0.0.1:0` among `args` and resolves with its URL
 * and a stop(): once the server is up (`until: 'serving'`) or once the replay has
 * finished and the server stays up (`until: 'finished'`, the default).
 */
export function serveAgent(args, { timeoutMs = 120_000, until = 'finished', env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let err = '';
    let url = null;
    let settled = false;
    const stop = () =>
      new Promise((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`agent did not come up within ${timeoutMs} ms:\n${err}`));
    }, timeoutMs);
    child.stdout.resume();
    child.stderr.on('data', (d) => {
      err += d;
      const m = /serving the viewer at (https?:\/\/\S+?)\/?(\s|$)/.exec(err);
      if (m) url = m[1];
      // the replay is over and the server stays up
      if (url && (until === 'serving' || /input finished|still serving/.test(err)) && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ url, stop, child, log: () => err });
      }
    });
    child.on('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before serving:\n${err}`));
    });
  });
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export function shotPath(name) {
  mkdirSync(SHOTS, { recursive: true });
  return join(SHOTS, `${name}.png`);
}
