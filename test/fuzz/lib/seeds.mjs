// The fuzzer's seed material: every capture in captures/ and, when present, the reference
// corpus (/work/shared/corpus/*/pcaps/*), read in place (never copied into the repository).
// Each seed keeps its records (frames copied out of the reader's buffer, at most
// MAX_RECORDS each) and its file bytes (at most MAX_FILE_BYTES, a prefix: still a capture,
// cut mid-record) for file-level mutation; certificates seen in the TLS handshakes are
// harvested for the certificate generators.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readCaptureFile } from '../../../agent/dist/capture/index.js';
import { Engine } from '../../../agent/dist/engine.js';
import { ArraySink } from '../../../agent/dist/output/writer.js';
import { TlsSession } from '../../../agent/dist/protocols/tls/session.js';

const MAX_RECORDS = 3000;
const MAX_FILE_BYTES = 512 * 1024;
const MAX_CERTS = 400;
const CAPTURE = /\.(pcap|pcapng|cap)(\.gz)?$/i;

export function seedDirectories(root) {
  const dirs = [join(root, 'captures')];
  const corpus = '/work/shared/corpus';
  if (existsSync(corpus)) {
    for (const name of readdirSync(corpus).sort()) {
      const d = join(corpus, name, 'pcaps');
      if (existsSync(d) && statSync(d).isDirectory()) dirs.push(d);
    }
  }
  return dirs;
}

/** Loads every capture of `dirs` (sorted, so that a seed names the same cases everywhere). */
export function loadSeeds(dirs) {
  const seeds = [];
  const certs = new Map();
  const origEnd = TlsSession.prototype.end;
  TlsSession.prototype.end = function (...args) {
    for (const list of [this.serverCertificates, this.clientCertificates]) {
      for (const der of list ?? []) {
        if (certs.size >= MAX_CERTS) break;
        const k = createHash('sha1').update(der).digest('hex');
        if (!certs.has(k)) certs.set(k, Buffer.from(der));
      }
    }
    return origEnd.apply(this, args);
  };
  const digest = createHash('sha256');
  try {
    for (const dir of dirs) {
      for (const name of readdirSync(dir).sort()) {
        if (!CAPTURE.test(name)) continue;
        const path = join(dir, name);
        const records = [];
        const engine = new Engine(new ArraySink());
        try {
          readCaptureFile(path, (buf, off, caplen, origlen, lt, sec, nsec) => {
            engine.packet(buf, off, caplen, origlen, lt, sec, nsec);
            if (records.length < MAX_RECORDS) records.push({ lt, sec, nsec, origlen, data: Buffer.from(buf.subarray(off, off + caplen)) });
          });
          engine.finish({});
        } catch {
          continue; // unusable seeds are simply not seeds
        }
        if (records.length === 0) continue;
        const raw = readFileSync(path);
        const gz = raw[0] === 0x1f && raw[1] === 0x8b;
        const fileBytes = gz ? null : raw.subarray(0, MAX_FILE_BYTES);
        digest.update(name).update(String(records.length));
        seeds.push({ name, path, records, fileBytes: fileBytes ? Buffer.from(fileBytes) : null });
      }
    }
  } finally {
    TlsSession.prototype.end = origEnd;
  }
  return { seeds, certs: [...certs.values()], fingerprint: digest.digest('hex').slice(0, 12) };
}
