// The stream mechanics shared by the parsers of message-framed binary protocols
// (PostgreSQL, MySQL, LDAP, RDP, SOCKS): each direction's bytes are cut into whole
// messages, holding at most one partial message (bounded) between feeds; messages too
// large to hold are skipped by length; a direction stops after a byte budget, on bytes
// that do not frame, after a gap, or where it upgrades (STARTTLS-style, or a tunnel).
//
// A subclass says how long the message at a position is (`frame`), reads whole
// messages (`message`), and decides upgrades either after a message it has just read
// (`upgradeAfter`) or at a message boundary from the first byte that follows
// (`upgradesAt`): the two directions are fed independently, so one side's bytes are
// often the only evidence of what the other side chose.

import type { AppFacts, AppParser, Credential } from './app-parser.js';

/** `frame` result: the message's length is not known from the bytes given yet. */
export const FRAME_NEED_MORE = -1;
/** `frame` result: these bytes are not a message of the protocol: stop the direction. */
export const FRAME_INVALID = -2;

/** Largest partial message held between feeds, per direction. */
export const MAX_HELD = 16 * 1024;
/** Longest text (user name, DN, version string...) copied out of a message, in bytes. */
export const MAX_TEXT = 256;
/** At most this many credentials are kept per connection. */
const MAX_CREDENTIALS = 4;

/** Exceptions caught in feed() since start (a parser bug; tests expect 0). */
export let parserFaults = 0;

const CLIENT = 0;
const SERVER = 1;

export abstract class FramedParser implements AppParser {
  readonly facts: AppFacts = {};
  private readonly held: (Buffer | null)[] = [null, null];
  private readonly heldLen = [0, 0];
  private readonly skip = [0, 0];
  private readonly seen = [0, 0];
  private readonly stopped = [false, false];
  private readonly splitNext = [false, false];

  /** @param budget bytes of each direction looked at before giving up on it */
  protected constructor(private readonly budget: number) {}

  /**
   * Length of the message starting at buf[off] (header included), from the `avail`
   * bytes there; FRAME_NEED_MORE when the header is incomplete; FRAME_INVALID when
   * the bytes cannot start a message.
   */
  protected abstract frame(fromClient: boolean, buf: Buffer, off: number, avail: number): number;

  /** One whole message, buf[off .. off+len). */
  protected abstract message(fromClient: boolean, buf: Buffer, off: number, len: number): void;

  /**
   * At a message boundary with at least one byte available: true when these bytes and
   * all later ones of the direction are the upgraded stream (set facts.upgrade first).
   */
  protected upgradesAt(fromClient: boolean, buf: Buffer, off: number, avail: number): boolean {
    void fromClient;
    void buf;
    void off;
    void avail;
    return false;
  }

  /** A message longer than MAX_HELD: true when it may be skipped unread, false to stop the direction. */
  protected skippable(fromClient: boolean, buf: Buffer, off: number, avail: number): boolean {
    void fromClient;
    void buf;
    void off;
    void avail;
    return true;
  }

  get done(): boolean {
    return this.stopped[CLIENT] && this.stopped[SERVER];
  }

  /** Whether the direction still reads messages. */
  protected active(fromClient: boolean): boolean {
    return !this.stopped[fromClient ? CLIENT : SERVER];
  }

  /** Nothing more to learn from this direction. */
  protected stop(fromClient: boolean): void {
    const d = fromClient ? CLIENT : SERVER;
    this.stopped[d] = true;
    this.held[d] = null;
    this.heldLen[d] = 0;
    this.skip[d] = 0;
  }

  /** Nothing more to learn from the connection. */
  protected finish(): void {
    this.stop(true);
    this.stop(false);
  }

  /** The bytes after the message being read are the upgraded stream. */
  protected upgradeAfter(fromClient: boolean, kind: 'tls' | 'tunnel'): void {
    this.facts.upgrade = kind;
    this.splitNext[fromClient ? CLIENT : SERVER] = true;
  }

  protected addCredential(kind: string, user: string | null): void {
    const list = (this.facts.credentials ??= []);
    if (list.length >= MAX_CREDENTIALS) return;
    if (list.some((c: Credential) => c.kind === kind && c.user === user)) return;
    list.push({ kind, user });
  }

  protected detail(name: string, value: unknown): void {
    (this.facts.details ??= {})[name] = value;
  }

  feed(fromClient: boolean, buf: Buffer, off: number, len: number): number {
    if (len <= 0) return 0;
    const d = fromClient ? CLIENT : SERVER;
    if (this.stopped[d]) return len;
    try {
      return this.read(d, fromClient, buf, off, Math.min(len, buf.length - off));
    } catch {
      // a parser bug must not take the flow down: stop learning from this connection
      parserFaults++;
      this.finish();
      return len;
    }
  }

  gap(fromClient: boolean): void {
    // message boundaries are lost with the bytes
    this.stop(fromClient);
  }

  end(): void {
    this.held[CLIENT] = this.held[SERVER] = null;
  }

  private read(d: number, fromClient: boolean, buf: Buffer, off: number, len: number): number {
    let pos = off;
    const end = off + len;
    this.seen[d] += len;
    if (this.skip[d] > 0) {
      const n = Math.min(this.skip[d], len);
      this.skip[d] -= n;
      pos += n;
    }
    while (pos < end && !this.stopped[d]) {
      if (this.heldLen[d] > 0) {
        pos = this.completeHeld(d, fromClient, buf, pos, end);
        continue;
      }
      // a message boundary
      if (this.splitNext[d] || this.upgradesAt(fromClient, buf, pos, end - pos)) {
        this.splitNext[d] = false;
        this.stop(fromClient);
        return pos - off;
      }
      if (this.stopped[d]) break;
      const avail = end - pos;
      const size = this.frame(fromClient, buf, pos, avail);
      if (size === FRAME_INVALID || size === 0) {
        this.stop(fromClient);
        break;
      }
      if (size > 0 && size <= avail) {
        this.message(fromClient, buf, pos, size);
        pos += size;
        if (this.seen[d] - (end - pos) > this.budget && !this.splitNext[d]) this.stop(fromClient);
        continue;
      }
      if (size > MAX_HELD) {
        if (!this.skippable(fromClient, buf, pos, avail)) this.stop(fromClient);
        else this.skip[d] = size - avail;
        break;
      }
      if (avail > MAX_HELD) {
        // a header that never completes
        this.stop(fromClient);
        break;
      }
      this.hold(d, buf, pos, avail);
      break;
    }
    // a split decided by the last message of this chunk happens at the next feed
    if (this.splitNext[d]) return len;
    if (this.seen[d] > this.budget && !this.stopped[d] && this.heldLen[d] === 0) this.stop(fromClient);
    return len;
  }

  /** Adds bytes to the held partial message; returns where the chunk's unread bytes start. */
  private completeHeld(d: number, fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    const before = this.heldLen[d];
    const add = Math.min(end - pos, MAX_HELD - before);
    this.hold(d, buf, pos, add);
    const held = this.held[d]!;
    const have = this.heldLen[d];
    const size = this.frame(fromClient, held, 0, have);
    if (size === FRAME_INVALID || size === 0) {
      this.stop(fromClient);
      return end;
    }
    if (size === FRAME_NEED_MORE) {
      if (have >= MAX_HELD) this.stop(fromClient);
      return pos + add;
    }
    const fromChunk = size - before; // bytes of this chunk that belong to the message
    if (fromChunk < 0) {
      // frame() answered differently for the same bytes
      this.stop(fromClient);
      return end;
    }
    if (size > MAX_HELD) {
      const ok = this.skippable(fromClient, held, 0, have);
      this.held[d] = null;
      this.heldLen[d] = 0;
      if (!ok) {
        this.stop(fromClient);
        return end;
      }
      if (fromChunk <= end - pos) return pos + fromChunk;
      this.skip[d] = fromChunk - (end - pos);
      return end;
    }
    if (size > have) return pos + add; // still incomplete: everything was held
    this.heldLen[d] = 0;
    this.message(fromClient, held, 0, size);
    if (held.length > 4096 && this.held[d] === held) this.held[d] = null; // do not keep big buffers around
    return pos + fromChunk;
  }

  private hold(d: number, buf: Buffer, pos: number, n: number): void {
    const have = this.heldLen[d];
    let dst = this.held[d];
    if (dst === null || dst.length < have + n) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_HELD, Math.max(256, (have + n) * 2)));
      if (dst !== null && have > 0) dst.copy(grown, 0, 0, have);
      dst = grown;
      this.held[d] = dst;
    }
    buf.copy(dst, have, pos, pos + n);
    this.heldLen[d] = have + n;
  }
}

/** Text of buf[start..end) (UTF-8), cut to its first MAX_TEXT bytes. */
export function text(buf: Buffer, start: number, end: number): string {
  const e = Math.min(end, start + MAX_TEXT, buf.length);
  return e > start ? buf.toString('utf8', start, e) : '';
}

/**
 * A user name for a credential: its text, or null when empty or holding control bytes
 * (then the framing is off, and the bytes may run into the secret that follows).
 */
export function userName(buf: Buffer, start: number, end: number): string | null {
  if (end <= start) return null;
  for (let i = start; i < end; i++) if (buf[i] < 0x20 || buf[i] === 0x7f) return null;
  return text(buf, start, end);
}

/** Index of the NUL ending the string at `start` (before `end`), or -1. */
export function nul(buf: Buffer, start: number, end: number): number {
  const e = Math.min(end, buf.length);
  for (let i = start; i < e; i++) if (buf[i] === 0) return i;
  return -1;
}
