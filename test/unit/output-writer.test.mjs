// NdjsonWriter: whatever it reuses (members of earlier documents still in its buffer, shared()
// encodings), the bytes must be those of
// JSON.stringify for every document, across buffer flushes and oversized documents.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NdjsonWriter, encodeValue, shared } from '../../agent/dist/output/writer.js';

/** A stream that keeps what it is given (copies: the writer reuses nothing it hands out, but be strict). */
function collector() {
  const chunks = [];
  return {
    chunks,
    text: () => Buffer.concat(chunks).toString('utf8'),
    write(chunk, cb) {
      chunks.push(Buffer.from(chunk));
      cb?.();
      return true;
    },
    on() {
      return this;
    },
  };
}

function expected(docs) {
  return docs.map((d) => JSON.stringify(d) + '\n').join('');
}

// a small deterministic generator
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const STRINGS = ['', 'plain', 'quote " and \\ backslash', 'only a back\\slash', 'tab\there', 'del \u007f', 'x'.repeat(64), 'y'.repeat(65), 'é'.repeat(70), 'ctl \u0001\u001f\n\t', 'é ü ß', '𝄞 emoji 😀', 'lone \ud800 surrogate', '\u2028\u2029', 'x'.repeat(700)];
const NUMBERS = [0, -0, 1, -1, 3.5, 1e21, 2 ** 53, NaN, Infinity, 443];

function value(r, depth, pool) {
  const k = r();
  if (depth > 3 || k < 0.35) {
    const j = Math.floor(r() * 5);
    if (j === 0) return STRINGS[Math.floor(r() * STRINGS.length)];
    if (j === 1) return NUMBERS[Math.floor(r() * NUMBERS.length)];
    if (j === 2) return r() < 0.5;
    if (j === 3) return null;
    return undefined;
  }
  if (k < 0.45 && pool.length > 0) return pool[Math.floor(r() * pool.length)]; // an object seen before
  if (k < 0.7) {
    const a = [];
    for (let i = Math.floor(r() * 5); i > 0; i--) a.push(value(r, depth + 1, pool));
    return a;
  }
  const o = {};
  for (let i = Math.floor(r() * 6); i > 0; i--) o[r() < 0.1 ? String(Math.floor(r() * 10)) : `k${Math.floor(r() * 8)}`] = value(r, depth + 1, pool);
  return o;
}

function documents(seed, count) {
  const r = rng(seed);
  const pool = [];
  while (pool.length < 12) {
    const v = value(r, 1, []);
    if (typeof v === 'object' && v !== null) pool.push(shared(v));
  }
  const docs = [];
  let prev = null;
  for (let i = 0; i < count; i++) {
    const d = {};
    const members = 1 + Math.floor(r() * 12); // sometimes more object members than the memo has slots
    for (let m = 0; m < members; m++) {
      const key = `m${m}`;
      // like a session's findings: members of the previous document again, by identity
      if (prev && prev[key] !== undefined && r() < 0.5) d[key] = prev[key];
      else d[key] = value(r, 0, pool);
    }
    if (r() < 0.1) d.big = 'y'.repeat(5000); // larger than a small buffer
    docs.push(d);
    prev = d;
  }
  return docs;
}

test('encodeValue equals JSON.stringify, shared values included', () => {
  const r = rng(7);
  const pool = [];
  while (pool.length < 8) {
    const v = value(r, 1, []);
    if (typeof v === 'object' && v !== null) pool.push(shared(v));
  }
  for (let i = 0; i < 2000; i++) {
    const v = value(r, 0, pool);
    assert.is(encodeValue(v), JSON.stringify(v));
  }
  const holder = { a: shared({ b: [1, 2] }), c: [shared(['x']), undefined, () => 1], d: undefined, 0: 'zero', e: { toJSON: () => undefined }, f: [{ toJSON: () => 'j' }] };
  assert.is(encodeValue(holder), JSON.stringify(holder));
});

for (const batch of [1 << 18, 4096, 256]) {
  test(`documents written with a ${batch}-byte buffer are their JSON.stringify lines`, () => {
    for (const seed of [1, 2, 3]) {
      const out = collector();
      const w = new NdjsonWriter(out, batch);
      const docs = documents(seed, 400);
      for (const d of docs) w.write(d);
      w.flush();
      assert.is(out.text(), expected(docs));
    }
  });
}

test('a session and its findings: shared members are written once and copied after', () => {
  const out = collector();
  const w = new NdjsonWriter(out, 1 << 16);
  const tls = { version: '1.2', server: { x509: shared({ alternative_names: ['a.example', 'b.example'] }) } };
  const source = { ip: '10.0.0.1', port: 1234 };
  const session = { '@timestamp': 't', event: { kind: 'event' }, source, tls };
  const rule = shared({ id: 'tls-weak-cipher', name: 'Weak cipher' });
  const findings = [1, 2, 3].map((n) => ({ '@timestamp': 't', event: { kind: 'alert', severity: n }, source, rule, message: `m${n}`, tls }));
  w.write(session);
  for (const f of findings) w.write(f);
  w.flush();
  assert.is(out.text(), expected([session, ...findings]));
});

test('arrays and objects with toJSON as documents', () => {
  const out = collector();
  const w = new NdjsonWriter(out, 1024);
  const docs = [[1, { a: 2 }], { toJSON: () => ({ replaced: true }) }, { when: new Date(0) }, { a: { toJSON: () => undefined }, b: [{ toJSON: () => 1 }, undefined], c: { d: { toJSON: () => ({ x: 1 }) }, e: undefined }, f: 2 }];
  for (const d of docs) w.write(d);
  w.flush();
  assert.is(out.text(), expected(docs));
});

test.run();
