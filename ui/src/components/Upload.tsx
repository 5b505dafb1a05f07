// Drop a capture anywhere on the page (or pick one): it is POSTed to the agent,
// which replays it into a new run; the viewer then shows that run, streaming in.

import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { RunRow, UploadResponse } from '@intransit/shared';
import { uploadCapture } from '../api/client.js';
import { bytes, int } from '../lib/format.js';

type State = { phase: 'idle' } | { phase: 'sending'; name: string; sent: number; total: number } | { phase: 'replaying'; res: UploadResponse } | { phase: 'failed'; name: string; error: string };

interface Props {
  enabled: boolean;
  maxBytes: number;
  runs: RunRow[];
  onStarted: (res: UploadResponse) => void;
}

export function Upload({ enabled, maxBytes, runs, onStarted }: Props) {
  const [state, setState] = useState<State>({ phase: 'idle' });
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const depth = useRef(0);

  const send = (file: File): void => {
    if (!enabled) return;
    if (maxBytes > 0 && file.size > maxBytes) {
      setState({ phase: 'failed', name: file.name, error: `larger than the agent's limit of ${bytes(maxBytes)}` });
      return;
    }
    setState({ phase: 'sending', name: file.name, sent: 0, total: file.size });
    const up = uploadCapture(file, (sent, total) => setState({ phase: 'sending', name: file.name, sent, total }));
    up.done.then(
      (res) => {
        setState({ phase: 'replaying', res });
        onStarted(res);
      },
      (e: unknown) => setState({ phase: 'failed', name: file.name, error: (e as Error).message }),
    );
  };

  // the whole window is a drop target while a file is dragged over it
  useEffect(() => {
    if (!enabled) return;
    const hasFiles = (e: DragEvent): boolean => Array.from(e.dataTransfer?.types ?? []).includes('Files');
    const enter = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setOver(true);
    };
    const overH = (e: DragEvent): void => {
      if (hasFiles(e)) e.preventDefault();
    };
    const leave = (): void => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    };
    const drop = (e: DragEvent): void => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setOver(false);
      const f = e.dataTransfer?.files[0];
      if (f) send(f);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', overH);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', overH);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  });

  const run = state.phase === 'replaying' ? runs.find((r) => r.id === state.res.run) : undefined;
  let status: ReactNode = null;
  if (state.phase === 'sending')
    status = (
      <span className="num">
        Uploading {state.name} · {state.total ? Math.floor((state.sent / state.total) * 100) : 0}%
        <svg className="meter toast-meter" viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true">
          <rect className="meter-track" width={100} height={4} />
          <rect className="meter-fill" width={state.total ? (state.sent / state.total) * 100 : 0} height={4} />
        </svg>
      </span>
    );
  else if (state.phase === 'replaying')
    status = (
      <span className="num" data-testid="upload-status">
        <span className={`dot dot-${run?.status === 'running' || !run ? 'open' : run.status === 'failed' ? 'closed' : 'done'}`} aria-hidden="true" /> {state.res.name} → run #{state.res.run}
        {run ? ` · ${run.status === 'running' ? 'replaying' : run.status} · ${int(run.sessions)} sessions, ${int(run.findings)} findings` : ' · replaying'}
        {run?.error ? ` · ${run.error}` : ''}
      </span>
    );
  else if (state.phase === 'failed')
    status = (
      <span className="error" role="alert">
        {state.name}: {state.error}
      </span>
    );

  return (
    <div className="upload">
      {status ? (
        <div className={`toast${state.phase === 'failed' ? ' toast-bad' : ''}`} role="status">
          {status}
          {state.phase !== 'sending' ? (
            <button type="button" className="btn btn-quiet toast-close" aria-label="Dismiss" onClick={() => setState({ phase: 'idle' })}>
              ✕
            </button>
          ) : null}
        </div>
      ) : null}
      <button type="button" className="btn" disabled={!enabled || state.phase === 'sending'} onClick={() => input.current?.click()} title={enabled ? 'Replay a capture (pcap, pcapng); or drop it on the page' : 'Uploads are disabled on this agent'}>
        Upload capture
      </button>
      <input
        ref={input}
        type="file"
        accept=".pcap,.pcapng,.cap,.dmp,application/vnd.tcpdump.pcap"
        hidden
        data-testid="upload-input"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) send(f);
          e.target.value = '';
        }}
      />
      {over ? (
        <div className="dropzone" aria-hidden="true">
          <div>
            <strong>Drop the capture to replay it</strong>
            <span className="dim">pcap or pcapng{maxBytes ? `, up to ${bytes(maxBytes)}` : ''}</span>
          </div>
        </div>
      ) : null}
    </div>
  );
}
