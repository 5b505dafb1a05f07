// `--serve` on replay/live/mirror: the server runs in a worker thread with its own
// database connection, so it answers while the engine thread is busy decoding (a
// replay reads its file synchronously), and the engine never waits for a browser.
// The engine thread tells it when a batch has committed; the worker posts back
// `ready` (with the URL) or `error`.

import { parentPort, workerData, Worker } from 'node:worker_threads';
import { startServer, type RunningServer } from './index.js';
import type { ServerConfig } from './config.js';
import type { Retention } from '../store/retention.js';

export interface WorkerInput {
  config: ServerConfig;
  retention?: Retention;
}

type ToWorker = { type: 'commit' } | { type: 'live-run'; run: number | null } | { type: 'stop' };
type FromWorker = { type: 'ready'; url: string; port: number } | { type: 'error'; message: string } | { type: 'stopped' };

if (parentPort && (workerData as { intransitServer?: boolean } | null)?.intransitServer) {
  const port = parentPort;
  const input = (workerData as { input: WorkerInput }).input;
  let server: RunningServer | null = null;
  port.on('message', (m: ToWorker) => {
    if (m.type === 'commit') server?.poke();
    else if (m.type === 'live-run') server?.setLiveRun(m.run);
    else if (m.type === 'stop') {
      void (server ? server.close() : Promise.resolve()).then(() => {
        port.postMessage({ type: 'stopped' } satisfies FromWorker);
        port.close();
      });
    }
  });
  startServer(input.config, { retention: input.retention }).then(
    (s) => {
      server = s;
      port.postMessage({ type: 'ready', url: s.url, port: s.port } satisfies FromWorker);
    },
    (e: Error) => port.postMessage({ type: 'error', message: e.message } satisfies FromWorker),
  );
}

/** Handle on the server thread, for the engine thread. */
export class ServerThread {
  private constructor(
    private readonly worker: Worker,
    readonly url: string,
    readonly port: number,
  ) {}

  static start(input: WorkerInput): Promise<ServerThread> {
    const worker = new Worker(new URL(import.meta.url), { workerData: { intransitServer: true, input } });
    return new Promise((resolve, reject) => {
      const onExit = (code: number): void => reject(new Error(`the server thread stopped (${code})`));
      worker.once('exit', onExit);
      worker.once('error', reject);
      worker.once('message', (m: FromWorker) => {
        worker.off('exit', onExit);
        worker.off('error', reject);
        if (m.type === 'ready') resolve(new ServerThread(worker, m.url, m.port));
        else {
          void worker.terminate();
          reject(new Error(m.type === 'error' ? m.message : 'the server thread did not start'));
        }
      });
    });
  }

  committed(): void {
    this.worker.postMessage({ type: 'commit' } satisfies ToWorker);
  }

  setLiveRun(run: number | null): void {
    this.worker.postMessage({ type: 'live-run', run } satisfies ToWorker);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 3000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.once('message', (m: FromWorker) => {
        if (m.type === 'stopped') void this.worker.terminate();
      });
      this.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    });
  }
}
