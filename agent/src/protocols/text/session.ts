// What every text protocol parser shares (SMTP, IMAP, POP3, FTP, XMPP, IRC, HTTP,
// telnet, Redis): a per-direction byte budget, the line readers, the facts, and the
// upgrade hand-off (STARTTLS, HTTP CONNECT).
//
// The hand-off follows the protocols' ordering rules: the client asks (STARTTLS,
// CONNECT) and must then wait for the server's answer before it starts the new
// protocol; the server's stream switches right after its positive answer. So:
//   - server direction: the subclass switches it after the accepting reply;
//   - client direction: at the next message boundary after the request, the stream
//     switches if the answer was positive, or, while the answer is not in view yet
//     (feed order), if the bytes there start a TLS record (a cleartext command never
//     starts with 0x16). After a refusal the client carries on in cleartext.
// A direction that has switched gets 0 from every later feed, which is what tells
// the flow that the rest of that direction is the upgraded stream.

import type { AppFacts, AppParser, Credential } from '../app-parser.js';
import { looksLikeTls } from './ascii.js';
import { LineReader, MAX_LINE } from './lines.js';

/** Cleartext bytes of each direction looked at before the parser gives up on it. */
export const DIRECTION_BUDGET = 64 * 1024;
/** Credentials kept per session (the audit needs to know there were some, and whose). */
export const MAX_CREDENTIALS = 4;

/** Exceptions caught in parse() (a bug, never the input's fault): counted for tests and diagnostics. */
export const parserFaults = { count: 0, last: null as unknown };

export const UPGRADE_NONE = 0;
export const UPGRADE_REQUESTED = 1; // the client asked; no answer in view yet
export const UPGRADE_ACCEPTED = 2;
export const UPGRADE_REFUSED = 3;

export class Direction {
  readonly reader: LineReader;
  /** Cleartext bytes parsed. */
  bytes = 0;
  /** Everything after what has been consumed is the upgraded stream. */
  switched = false;
  /** The flow has been told (a feed returned less than it was given). */
  handedOver = false;
  /** Nothing more to learn from this direction (budget spent, lost bytes, not the protocol). */
  stopped = false;

  constructor(lineMax: number) {
    this.reader = new LineReader(lineMax);
  }
}

export abstract class TextSessionParser implements AppParser {
  readonly facts: AppFacts = {};
  protected readonly client: Direction;
  protected readonly server: Direction;
  protected upgradeState = UPGRADE_NONE;
  /** What the upgrade turns the stream into: STARTTLS-style 'tls' or an HTTP CONNECT 'tunnel'. */
  protected upgradeKind: 'tls' | 'tunnel' = 'tls';
  private finished = false;

  constructor(
    private readonly budget = DIRECTION_BUDGET,
    lineMax = MAX_LINE,
  ) {
    this.client = new Direction(lineMax);
    this.server = new Direction(lineMax);
  }

  /**
   * Parses buf[pos, end) of one direction; returns the index where the cleartext
   * protocol stops (end when all of it was cleartext).
   */
  protected abstract parse(fromClient: boolean, buf: Buffer, pos: number, end: number): number;

  get done(): boolean {
    const c = this.client;
    const s = this.server;
    // a direction that switched must still get its next feed (answered 0) to hand over
    if ((c.switched && !c.handedOver) || (s.switched && !s.handedOver)) return false;
    if (this.finished) return true;
    if ((c.handedOver || c.stopped) && (s.handedOver || s.stopped)) return true;
    // without the client's side nothing can be matched any more, unless an upgrade is under way
    return c.stopped && this.upgradeState !== UPGRADE_REQUESTED && this.upgradeState !== UPGRADE_ACCEPTED;
  }

  feed(fromClient: boolean, buf: Buffer, off: number, len: number): number {
    const d = fromClient ? this.client : this.server;
    if (d.switched) {
      if (len > 0) d.handedOver = true;
      return 0;
    }
    if (len <= 0 || d.stopped || this.finished) return len > 0 ? len : 0;
    const end = off + len;
    let pos: number;
    try {
      pos = this.parse(fromClient, buf, off, end);
    } catch (err) {
      // a parser must never break the flow: whatever went wrong, stop learning
      parserFaults.count++;
      parserFaults.last = err;
      this.finished = true;
      return len;
    }
    if (!(pos >= off && pos <= end)) pos = end;
    const used = pos - off;
    d.bytes += used;
    if (used < len) {
      d.switched = true;
      d.handedOver = true;
    } else if (!d.switched && d.bytes >= this.budget) {
      d.stopped = true;
    }
    return used;
  }

  gap(fromClient: boolean): void {
    const d = fromClient ? this.client : this.server;
    if (d.switched) return;
    // after an accepted upgrade whatever follows the hole is the upgraded stream
    if (this.upgradeState === UPGRADE_ACCEPTED) d.switched = true;
    // otherwise framing (bodies, literals, command/reply pairing) cannot be trusted after it
    else d.stopped = true;
  }

  end(): void {}

  /** Nothing more to learn from the session (e.g. authenticated: no STARTTLS, no more credentials). */
  protected finish(): void {
    this.finished = true;
  }

  // --- upgrade -------------------------------------------------------------------

  /** A capability list was seen; `present`: it advertises the TLS upgrade. */
  protected advertised(present: boolean): void {
    const st = this.facts.starttls;
    if (present) {
      if (st === undefined) this.facts.starttls = { offered: true, used: false, offeredBy: 'server' };
      else {
        st.offered = true;
        st.offeredBy = 'server';
      }
    } else if (st === undefined) {
      this.facts.starttls = { offered: false, used: false };
    }
  }

  /** The client asked for the upgrade (STARTTLS-style; HTTP CONNECT sets upgradeKind 'tunnel' first). */
  protected requestUpgrade(): void {
    this.upgradeState = UPGRADE_REQUESTED;
    if (this.upgradeKind !== 'tls') return;
    const st = this.facts.starttls;
    if (st === undefined) this.facts.starttls = { offered: true, used: false, offeredBy: 'client' };
    else if (!st.offered) {
      st.offered = true;
      st.offeredBy = 'client';
    }
  }

  /** The server accepted: its stream switches after the reply just parsed (the caller returns past it). */
  protected acceptUpgrade(): void {
    this.upgradeState = UPGRADE_ACCEPTED;
    this.markUpgraded();
    this.server.switched = true;
  }

  /**
   * The client's stream switches after what has been consumed (its last cleartext
   * message was just parsed: the caller returns past it), whatever was seen of the
   * server's answer (telnet START_TLS, where each side announces its own switch).
   */
  protected switchClient(): void {
    if (this.upgradeState !== UPGRADE_ACCEPTED) {
      this.upgradeState = UPGRADE_ACCEPTED;
      this.markUpgraded();
    }
    this.client.switched = true;
  }

  protected refuseUpgrade(): void {
    if (this.upgradeState === UPGRADE_REQUESTED) this.upgradeState = UPGRADE_REFUSED;
  }

  private markUpgraded(): void {
    this.facts.upgrade = this.upgradeKind;
    if (this.upgradeKind === 'tls' && this.facts.starttls) this.facts.starttls.used = true;
    this.onUpgraded();
  }

  /** Hook: the upgrade is happening (HTTP sets its tunnel target). */
  protected onUpgraded(): void {}

  /** At a client message boundary: whether the client's stream switches here. */
  protected clientSwitchesHere(buf: Buffer, pos: number, end: number): boolean {
    if (this.upgradeState === UPGRADE_ACCEPTED) return true;
    if (this.upgradeState === UPGRADE_REQUESTED && looksLikeTls(buf, pos, end)) {
      // the answer is not in view, but the client has started its handshake
      this.upgradeState = UPGRADE_ACCEPTED;
      this.markUpgraded();
      return true;
    }
    return false;
  }

  /**
   * At a server message boundary: the server's stream switches here when an upgrade
   * is under way and TLS starts (its positive answer was missed or not recognised).
   */
  protected serverSwitchesHere(buf: Buffer, pos: number, end: number): boolean {
    if (this.upgradeState !== UPGRADE_REQUESTED && this.upgradeState !== UPGRADE_ACCEPTED) return false;
    if (!looksLikeTls(buf, pos, end)) return false;
    if (this.upgradeState === UPGRADE_REQUESTED) {
      this.upgradeState = UPGRADE_ACCEPTED;
      this.markUpgraded();
    }
    return true;
  }

  // --- facts ---------------------------------------------------------------------

  /** Records a cleartext credential (user name only); returns it, or null when the list is full. */
  protected addCredential(kind: string, user: string | null): Credential | null {
    const list = (this.facts.credentials ??= []);
    for (const c of list) if (c.kind === kind && c.user === user) return c;
    if (list.length >= MAX_CREDENTIALS) return null;
    const c: Credential = { kind, user };
    list.push(c);
    return c;
  }

  protected detail(key: string, value: unknown): void {
    (this.facts.details ??= {})[key] = value;
  }
}
