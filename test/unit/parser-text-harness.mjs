// Shared by the parser-text*.test.mjs suites: plays a client/server exchange through
// a cleartext parser the way the flow inspector does (each direction's bytes in
// order, in random-size chunks, the directions interleaved as the script says), and
// records where each direction stopped being cleartext.
import '../../agent/dist/protocols/text-parsers.js';
import { createAppParser } from '../../agent/dist/protocols/app-parser.js';
import { parserFaults } from '../../agent/dist/protocols/text/session.js';

/** Deterministic PRNG (mulberry32) so a failing chunking can be replayed. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const C = 'c';
export const S = 's';

/** A fake TLS record start: a handshake record with a ClientHello / ServerHello header and filler. */
export function tlsBytes(hello = 1, n = 64) {
  const b = Buffer.alloc(n, 0x5a);
  b[0] = 0x16;
  b[1] = 0x03;
  b[2] = 0x01;
  b.writeUInt16BE(n - 5, 3);
  b[5] = hello;
  return b;
}

const toBuf = (x) => (Buffer.isBuffer(x) ? x : Buffer.from(x, 'latin1'));

/**
 * Plays `script` ([[C|S, bytes], ...]) through a new parser for `protocol`.
 * Consecutive messages of one direction are cut at random (1..maxChunk bytes, chunks
 * crossing message boundaries); the chunk is handed over inside a larger buffer whose
 * bytes are scribbled over after the call, so a parser that keeps references fails.
 * Returns { parser, split: {c, s} (cleartext byte count, -1 when all was cleartext),
 * rest: {c, s} (bytes after the split), doneAfter (script index when done turned true, or -1) }.
 */
export function play(protocol, script, { seed = 1, maxChunk = 16 } = {}) {
  const parser = createAppParser(protocol);
  if (!parser) throw new Error(`no parser registered for ${protocol}`);
  const random = rng(seed);
  const state = { c: { off: 0, split: -1, rest: [] }, s: { off: 0, split: -1, rest: [] } };
  let doneAfter = -1;
  let i = 0;
  while (i < script.length) {
    const dir = script[i][0];
    const parts = [];
    let j = i;
    while (j < script.length && script[j][0] === dir) parts.push(toBuf(script[j++][1]));
    const bytes = Buffer.concat(parts);
    const d = state[dir];
    let p = 0;
    while (p < bytes.length) {
      const n = Math.min(bytes.length - p, 1 + Math.floor(random() * maxChunk));
      const chunk = bytes.subarray(p, p + n);
      p += n;
      if (d.split >= 0 || doneAfter >= 0) {
        if (d.split >= 0) d.rest.push(chunk);
        continue;
      }
      const pad = 1 + Math.floor(random() * 5);
      const host = Buffer.alloc(pad + n + pad, 0x0a);
      chunk.copy(host, pad);
      const used = parser.feed(dir === C, host, pad, n);
      host.fill(0x0a);
      if (!(used >= 0 && used <= n)) throw new Error(`feed returned ${used} for ${n} bytes`);
      if (used < n) {
        d.split = d.off + used;
        d.rest.push(chunk.subarray(used));
      }
      d.off += used;
      if (parser.done && doneAfter < 0) doneAfter = j - 1;
    }
    i = j;
  }
  parser.end();
  // parse() exceptions are caught (the flow must go on) but are bugs: fail loudly here
  if (parserFaults.count > 0) throw parserFaults.last;
  return {
    parser,
    facts: parser.facts,
    split: { c: state.c.split, s: state.s.split },
    rest: { c: Buffer.concat(state.c.rest), s: Buffer.concat(state.s.rest) },
    doneAfter,
  };
}

/** Byte length of the script's messages of one direction before index `upto`. */
export function lengthBefore(script, dir, upto) {
  let n = 0;
  for (let k = 0; k < upto; k++) if (script[k][0] === dir) n += toBuf(script[k][1]).length;
  return n;
}

/** The secret must not appear in the facts, neither as is nor base64-encoded in any alignment. */
export function assertNoSecret(assert, facts, secret) {
  const json = JSON.stringify(facts);
  assert.not.ok(json.includes(secret), 'secret in facts');
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.from('x'.repeat(k) + secret).toString('base64').slice(4, -4);
    assert.not.ok(json.includes(b64), 'base64 secret in facts');
  }
}

/** Plays the script with several seeds and chunk sizes, calling check(result) each time. */
export function everyChunking(protocol, script, check) {
  for (const maxChunk of [1, 3, 16, 200, 4096]) {
    for (let seed = 1; seed <= 4; seed++) check(play(protocol, script, { seed, maxChunk }), `seed ${seed} chunk ${maxChunk}`);
  }
}
