// The run loop shared by the long-running commands (live, mirror): packets come from a
// source (libpcap, a UDP socket) into the engine until a duration elapses, SIGINT or
// SIGTERM arrives, or the source fails. Meanwhile flows idle out on the wall clock,
// output is flushed every second, counters are logged periodically and served on the
// health endpoint. Stopping ends every flow and writes the summary well within 5 s.
// With --workers N the engine is sharded over worker threads: records of a quiet shard
// are handed over every HANDOVER_MS, and worker threads never outlive the run.

import type { Server } from 'node:http';
import type { PacketEngine } from './packet-engine.js';
import type { Outputs } from '../cli/outputs.js';
import { startHealthServer } from './health.js';
import type { HostPort } from './address.js';
import { WallClock } from './clock.js';

export type Counters = Record<string, number | string | boolean | null>;

export interface PacketSource {
  /** Begins delivering packets to the engine; `fatal` stops the run with exit status 2. */
  start(fatal: (message: string) => void): void;
  /** Stops delivering packets (synchronously: nothing reaches the engine afterwards). */
  stop(): void;
  /** Counters for the health endpoint. */
  counters(): Counters;
  /** One progress line for standard error, about the last `intervalSec` seconds. */
  statusLine(intervalSec: number): string;
  /** Periodic checks (every second); may log. */
  tick?(): void;
  /** The summary's `capture` section. */
  captureInfo(): Record<string, unknown>;
}

export interface RunOptions {
  command: string;
  durationSec?: number;
  statsIntervalSec: number;
  health?: HostPort;
  log: (line: string) => void;
}

const STOP_DEADLINE_MS = 5000;
/** How long a record may wait in a partly filled slot for a worker thread (sharded engine). */
const HANDOVER_MS = 150;

export async function runUntilStopped(engine: PacketEngine, outputs: Outputs, source: PacketSource, opts: RunOptions): Promise<number> {
  try {
    return await run(engine, outputs, source, opts);
  } catch (e) {
    // worker threads left running would keep the process alive after the error
    source.stop();
    await engine.terminate?.();
    throw e;
  }
}

async function run(engine: PacketEngine, outputs: Outputs, source: PacketSource, opts: RunOptions): Promise<number> {
  let stopping = false;
  let health: Server | null = null;
  const started = Date.now();
  if (opts.health) {
    health = await startHealthServer(opts.health, () => ({
      ok: !stopping,
      command: opts.command,
      uptime_s: Math.round((Date.now() - started) / 1000),
      packets: engine.packets,
      flows: engine.openFlows(),
      sessions: engine.sessionsWritten(),
      ...source.counters(),
    }));
    const a = health.address();
    if (a && typeof a === 'object') opts.log(`${opts.command}: health endpoint on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/health`);
  }

  let resolveStop!: (r: { code: number; reason: string }) => void;
  const stopped = new Promise<{ code: number; reason: string }>((r) => (resolveStop = r));
  const requestStop = (code: number, reason: string): void => {
    if (stopping) return;
    stopping = true;
    resolveStop({ code, reason });
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) {
      // a second signal while the summary is being written: give up at once
      process.exit(sig === 'SIGINT' ? 130 : 143);
    }
    requestStop(0, sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // an engine failing here (a worker thread died) stops the run with exit status 2
  const guarded = (what: () => void) => (): void => {
    if (stopping) return;
    try {
      what();
    } catch (e) {
      requestStop(2, `${opts.command}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  const expireIdle = guarded(() => engine.expireIdle(WallClock.nowSec()));
  const timers: NodeJS.Timeout[] = [];
  let lastStats = Date.now();
  timers.push(
    setInterval(() => {
      // flows idle out on the wall clock even when no packet arrives to advance time
      expireIdle();
      source.tick?.();
      outputs.sink.flush();
      const now = Date.now();
      if (opts.statsIntervalSec > 0 && now - lastStats >= opts.statsIntervalSec * 1000) {
        opts.log(`${opts.command}: ${source.statusLine((now - lastStats) / 1000)}`);
        lastStats = now;
      }
    }, 1000),
  );
  // a no-op for one engine; a sharded one hands partly filled slots over to its workers
  timers.push(setInterval(guarded(() => engine.flush()), HANDOVER_MS));
  if (opts.durationSec !== undefined && opts.durationSec > 0) {
    timers.push(setTimeout(() => requestStop(0, 'duration'), opts.durationSec * 1000));
  }

  try {
    source.start((message) => requestStop(2, message));
  } catch (e) {
    requestStop(2, e instanceof Error ? e.message : String(e));
  }
  const { code, reason } = await stopped;
  for (const t of timers) clearInterval(t);
  source.stop();
  // should anything below hang (a sink that cannot drain), leave anyway
  const deadline = setTimeout(() => {
    opts.log(`${opts.command}: could not finish writing within ${STOP_DEADLINE_MS / 1000} s; exiting`);
    process.exit(code);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  if (code !== 0) opts.log(reason);
  source.tick?.();
  await engine.finish(source.captureInfo());
  await outputs.close();
  if (health) await new Promise<void>((r) => health!.close(() => r()));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  clearTimeout(deadline);
  if (code === 0 && reason !== 'duration') opts.log(`${opts.command}: stopped (${reason}); summary written`);
  return code;
}
