// Documents recur: the clients of one kind that reach one server negotiate the same things and
// are shown the same certificates, so their sessions' tls and intransit.tls objects are equal.
// internDocument() returns one object, shared (json-encoder.ts: encoded once), for every equal
// document: sessions waiting in the flow table hold a reference instead of their own copy, and
// the writer copies bytes instead of encoding. Documents are found by a hash of their content
// (shared parts, such as certificate facts or a client kind's offer, by their number) and
// confirmed member by member, so only documents that are equal throughout meet. Bounded: the
// table starts afresh when full. Interned documents must not be modified (nor must any shared
// object).

import { shared, sharedId } from './json-encoder.js';

const MAX_ENTRIES = 4096;
const table = new Map<number, object[]>();
let entries = 0;

/**
 * The shared object equal to `o` (o itself, now shared, the first time). `h`: its content
 * hash (tests give colliding ones).
 */
export function internDocument<T extends object>(o: T, h = contentHash(o, 0x811c9dc5)): T {
  if (h === NOT_PLAIN) return o;
  const bucket = table.get(h);
  if (bucket !== undefined) {
    for (const known of bucket) if (sameMembers(known, o)) return known as T;
  }
  if (entries >= MAX_ENTRIES) {
    table.clear();
    entries = 0;
  }
  shared(o);
  if (bucket !== undefined && table.has(h)) bucket.push(o);
  else table.set(h, [o]);
  entries++;
  return o;
}

const NOT_PLAIN = -1;
// FNV-1a style; a value that happens to equal NOT_PLAIN only leaves that document uninterned
const mix = (h: number, v: number): number => Math.imul(h ^ v, 0x01000193);

/** A hash of a plain data value (>= 0), or NOT_PLAIN for anything else (functions, class instances). */
export function contentHash(v: unknown, h: number): number {
  switch (typeof v) {
    case 'string': {
      h = mix(h, 0x73 + v.length);
      for (let i = 0; i < v.length; i++) h = mix(h, v.charCodeAt(i));
      return h;
    }
    case 'number':
      return mix(mix(h, 0x6e), (v * 0x9e3779b1) | 0);
    case 'boolean':
      return mix(h, v ? 0x54 : 0x46);
    case 'undefined':
      return mix(h, 0x75);
    case 'object': {
      if (v === null) return mix(h, 0x7a);
      const id = sharedId(v);
      if (id !== undefined) return mix(mix(h, 0x23), id);
      if (Array.isArray(v)) {
        h = mix(h, 0x5b + v.length);
        for (const x of v) {
          h = contentHash(x, h);
          if (h === NOT_PLAIN) return NOT_PLAIN;
        }
        return h;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return NOT_PLAIN;
      h = mix(h, 0x7b);
      for (const name in v) {
        h = contentHash(name, h);
        h = contentHash((v as Record<string, unknown>)[name], h);
        if (h === NOT_PLAIN) return NOT_PLAIN;
      }
      return mix(h, 0x7d);
    }
    default:
      return NOT_PLAIN;
  }
}

/** The same members in the same order, with equal content (an interned object against a candidate). */
function sameMembers(a: object, b: object): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return false;
    if (!sameContent((a as Record<string, unknown>)[ka[i]], (b as Record<string, unknown>)[kb[i]])) return false;
  }
  return true;
}

/** Equal plain data: the same members in the same order, shared parts the same objects. */
export function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Object.is(a, -0) === !Object.is(b, -0);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return Number.isNaN(a) && Number.isNaN(b);
  if (sharedId(a) !== undefined || sharedId(b) !== undefined) return false; // shared: by identity only
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContent(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  return sameMembers(a, b);
}
