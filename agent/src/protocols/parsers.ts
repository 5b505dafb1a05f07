// Wires the application-layer parsers: importing a parser module registers it
// (app-parser.ts); datagram sessions are created here by protocol name.

import type { DatagramSession } from './app-parser.js';
import { DtlsSession } from './dtls/session.js';
import { QuicSession } from './quic/session.js';
import './text-parsers.js';
import './binary-parsers.js';

export function createDatagramSession(protocol: string): DatagramSession | null {
  if (protocol === 'dtls') return new DtlsSession();
  if (protocol === 'quic') return new QuicSession();
  return null;
}
