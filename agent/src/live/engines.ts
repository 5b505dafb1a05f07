// The engine of a long-running command (live, mirror): one Engine, or with --workers N > 1 a
// ShardedEngine whose records are copied into its worker threads' slots (a live source has
// no shared read buffers). The worker code is loaded only then, to keep start-up fast.

import { Engine } from '../engine.js';
import type { DocumentSink } from '../output/writer.js';
import { UsageError } from '../cli/args.js';
import type { PacketEngine } from './packet-engine.js';

export const WORKERS_HELP = `  --workers N          engines (default 1): flows are sharded over N engines by a
                       symmetric hash of their 5-tuple and tunnel, one in this thread
                       (which also receives the packets) and N - 1 in worker threads;
                       the documents are the same, in another order (--max-flows is
                       then divided among the engines). Worth it with more cores than
                       engines: one engine already keeps about 1.4 cores busy
`;

/** The value of --workers (undefined: 1), checked as replay checks it. */
export function workersFlag(value: string | number | boolean | undefined): number {
  const workers = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers takes a whole number from 1 to 64, not "${value}"`);
  return workers;
}

export interface EngineChoice {
  workers: number;
  maxFlows?: number;
}

/** One engine, or `workers` engines sharing the flows (call terminate() on an error path). */
export async function engineFor(out: DocumentSink, { workers, maxFlows }: EngineChoice): Promise<PacketEngine> {
  if (workers <= 1) return new Engine(out, { flows: maxFlows ? { maxFlows } : {} });
  const { ShardedEngine } = await import('../workers/sharded-engine.js');
  return new ShardedEngine(out, { workers, maxFlows });
}
