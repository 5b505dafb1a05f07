// Swallowed faults. The protocol parsers end in a last-resort try/catch so that a parser bug
// never takes the engine down (the session only notes "internal-parse-error"); to a fuzzer
// such a catch hides exactly the bugs it looks for. These hooks wrap the methods called
// inside those guards: an exception passing through is recorded (with its stack) and
// rethrown unchanged, so the product behaves as without the hooks.

import { RecordReader } from '../../../agent/dist/protocols/tls/record.js';
import { TlsSession } from '../../../agent/dist/protocols/tls/session.js';
import { HandshakeAssembler } from '../../../agent/dist/protocols/tls/reassembly.js';
import { DtlsSession } from '../../../agent/dist/protocols/dtls/session.js';
import { QuicSession } from '../../../agent/dist/protocols/quic/session.js';
import { FramedParser, parserFaults as framedFaultCount } from '../../../agent/dist/protocols/framed-parser.js';
import * as textSession from '../../../agent/dist/protocols/text/session.js';

const seen = new WeakSet();
let recorded = [];
let installed = false;

function wrap(cls, name, where) {
  const orig = cls.prototype[name];
  if (typeof orig !== 'function') throw new Error(`fuzz hooks: ${where} has no method ${name}`);
  cls.prototype[name] = function (...args) {
    try {
      return orig.apply(this, args);
    } catch (err) {
      if (err !== null && typeof err === 'object' && !seen.has(err)) {
        seen.add(err);
        recorded.push({ where, error: err });
      } else if (err === null || typeof err !== 'object') recorded.push({ where, error: err });
      throw err;
    }
  };
}

/** Installs the hooks once per process. */
export function installFaultHooks() {
  if (installed) return;
  installed = true;
  wrap(RecordReader, 'feed', 'tls RecordReader.feed');
  wrap(HandshakeAssembler, 'push', 'tls HandshakeAssembler.push');
  for (const m of ['recordStart', 'recordBody', 'recordEnd', 'dispatch', 'changeCipherSpecRecord', 'alertRecord', 'ssl2Message']) wrap(TlsSession, m, `tls TlsSession.${m}`);
  wrap(DtlsSession, 'record', 'dtls DtlsSession.record');
  wrap(QuicSession, 'walk', 'quic QuicSession.walk');
  wrap(FramedParser, 'read', 'FramedParser.read');
}

let textBase = 0;
let framedBase = 0;

/** Starts a case: forgets earlier faults. */
export function resetFaults() {
  recorded = [];
  textBase = textSession.parserFaults.count;
  framedBase = currentFramed();
}

function currentFramed() {
  return framedFaultCount;
}

/**
 * Faults of the current case, one line each with the top of the stack. The text and framed
 * parsers count their swallowed exceptions themselves; those are reported too.
 */
export function takeFaults() {
  const out = recorded.map(({ where, error }) => describe(where, error));
  const text = textSession.parserFaults.count - textBase;
  if (text > 0) out.push(describe(`text parser (${text}x)`, textSession.parserFaults.last));
  // a live binding: re-read through the module namespace
  const framed = currentFramed() - framedBase;
  if (framed > 0) out.push(`framed parser: ${framed} exception(s) swallowed`);
  recorded = [];
  textBase = textSession.parserFaults.count;
  framedBase = currentFramed();
  return out;
}

export function describe(where, error) {
  if (error instanceof Error) {
    const frames = (error.stack || '').split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 4).map((l) => l.trim());
    return `${where}: ${error.name}: ${error.message} ${frames.join(' | ')}`;
  }
  return `${where}: thrown ${String(error)}`;
}
