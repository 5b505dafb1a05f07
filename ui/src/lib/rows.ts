// A filtered list of rows (sessions or findings) that can be far larger than what
// is in memory: the virtual table asks for row i, this fetches the block holding it.
//
// The list is a snapshot of `base` rows, newest first. Block b holds the rows at
// newest-first positions [b*B, (b+1)*B) of the snapshot and is fetched in ascending
// order from offset base-(b+1)*B: rows the agent adds later sort after the snapshot
// in ascending order, so the offsets of the snapshot's rows do not move while a run
// streams in, and blocks fetched at different times never overlap or leave gaps.
// Live rows are shown above the snapshot (`head`) when the user is at the top, and
// counted as pending (a "new rows" notice) when scrolled away, so what the user is
// reading never jumps. Re-synchronising takes a new snapshot.

import { timeBound } from '@intransit/shared';
import { getJson } from '../api/client.js';
import type { Page } from '@intransit/shared';

export interface Keyed {
  id: number;
  ts: string;
}

const MAX_BLOCKS = 400;
const MAX_HEAD = 2000;
const RETRY_MS = 3000;

export class RowSource<T extends Keyed> {
  private readonly listeners = new Set<() => void>();
  private query: Record<string, string> = {};
  private base = 0;
  private head: T[] = [];
  private readonly blocks = new Map<number, T[]>();
  private readonly inflight = new Set<number>();
  /** Blocks whose fetch failed, and when: retried no sooner than RETRY_MS later. */
  private readonly failed = new Map<number, number>();
  private epoch = 0;
  private from: number | null = null;
  private to: number | null = null;
  private resyncTimer: number | null = null;
  /** Live rows that arrived while a snapshot was on its way (it may or may not hold them). */
  private limbo: T[] = [];
  /**
   * Highest id in the snapshot's first block. The agent numbers rows in commit order,
   * so a live row at or below it was committed before the snapshot was read and is
   * already counted: the feed can run seconds behind the database during a fast
   * replay, and those late copies must not be added twice.
   */
  private snapMaxId = 0;
  /** Live rows that arrived while the user was scrolled away from the top. */
  pending = 0;
  loading = true;
  error: string | null = null;
  /** Bumped on every change, for useSyncExternalStore. */
  version = 0;

  constructor(
    private readonly route: string,
    private readonly blockSize = 200,
  ) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version++;
    for (const l of this.listeners) l();
  }

  get count(): number {
    return this.head.length + this.base;
  }

  /** Rows matching the filters as the agent last counted them, plus live ones since. */
  get total(): number {
    return this.count + this.pending;
  }

  row(i: number): T | undefined {
    if (i < this.head.length) return this.head[i];
    const k = i - this.head.length;
    if (k >= this.base) return undefined;
    const b = Math.floor(k / this.blockSize);
    return this.blocks.get(b)?.[k - b * this.blockSize];
  }

  /** Index of a row by id among the loaded ones, or -1. */
  indexOf(id: number): number {
    const h = this.head.findIndex((r) => r.id === id);
    if (h >= 0) return h;
    for (const [b, rows] of this.blocks) {
      const j = rows.findIndex((r) => r.id === id);
      if (j >= 0) return this.head.length + b * this.blockSize + j;
    }
    return -1;
  }

  private attached = 0;
  private stale = true;

  /** A list showing this source mounted: fetch if the query changed while none was shown. */
  attach(): void {
    this.attached++;
    if (this.stale) this.reload();
  }

  detach(): void {
    this.attached = Math.max(0, this.attached - 1);
  }

  /** New filters; fetched now if a list shows them, else when one does (the agent is spared unseen queries). */
  setQuery(query: Record<string, string>): void {
    const same = JSON.stringify(query) === JSON.stringify(this.query);
    this.query = query;
    this.from = query.from ? timeBound(query.from) : null;
    this.to = query.to ? timeBound(query.to) : null;
    this.limbo = [];
    this.snapMaxId = 0;
    if (same && !this.stale) return;
    this.stale = true;
    if (this.attached > 0) this.reload();
  }

  /** A new snapshot from the top. */
  reload(): void {
    this.stale = false;
    const epoch = ++this.epoch;
    this.loading = true;
    this.error = null;
    this.changed();
    getJson<Page<T>>(this.route, { ...this.query, order: 'desc', offset: 0, limit: this.blockSize }).then(
      (page) => {
        if (epoch !== this.epoch) return;
        this.blocks.clear();
        this.inflight.clear();
        this.failed.clear();
        this.base = page.total;
        this.blocks.set(0, page.items);
        this.head = [];
        this.pending = 0;
        this.snapMaxId = page.items.reduce((m, r) => Math.max(m, r.id), 0);
        const late = this.limbo.filter((r) => r.id > this.snapMaxId);
        this.limbo = [];
        if (late.length) {
          this.head = sortNewestFirst(late);
          this.scheduleResync();
        }
        this.loading = false;
        this.changed();
      },
      (e: unknown) => {
        if (epoch !== this.epoch) return;
        this.loading = false;
        this.error = (e as Error).message;
        this.blocks.clear();
        this.base = 0;
        this.head = [];
        this.changed();
      },
    );
  }

  /** Makes sure the rows first..last (inclusive) are loaded or on their way. */
  ensure(first: number, last: number): void {
    // block offsets depend on the snapshot's size: wait for the snapshot on its way
    if (this.loading) return;
    const h = this.head.length;
    const lo = Math.max(0, first - h);
    const hi = Math.min(this.base - 1, last - h);
    if (hi < lo) return;
    for (let b = Math.floor(lo / this.blockSize); b <= Math.floor(hi / this.blockSize); b++) {
      if (this.blocks.has(b) || this.inflight.has(b)) continue;
      const failedAt = this.failed.get(b);
      if (failedAt !== undefined && Date.now() - failedAt < RETRY_MS) continue;
      this.fetchBlock(b, (Math.floor(lo / this.blockSize) + Math.floor(hi / this.blockSize)) / 2);
    }
  }

  private fetchBlock(b: number, around: number): void {
    const epoch = this.epoch;
    const end = this.base - b * this.blockSize;
    const start = Math.max(0, end - this.blockSize);
    this.inflight.add(b);
    getJson<Page<T>>(this.route, { ...this.query, order: 'asc', offset: start, limit: end - start }).then(
      (page) => {
        if (epoch !== this.epoch) return;
        this.inflight.delete(b);
        this.failed.delete(b);
        this.error = null;
        this.blocks.set(b, page.items.reverse());
        if (this.blocks.size > MAX_BLOCKS) {
          // forget the blocks farthest from where the user is
          const far = [...this.blocks.keys()].sort((x, y) => Math.abs(y - around) - Math.abs(x - around));
          for (const k of far.slice(0, this.blocks.size - MAX_BLOCKS)) this.blocks.delete(k);
        }
        this.changed();
      },
      (e: unknown) => {
        if (epoch !== this.epoch) return;
        this.inflight.delete(b);
        this.failed.set(b, Date.now());
        this.error = (e as Error).message;
        this.changed();
      },
    );
  }

  private inTime(r: T): boolean {
    if (this.from === null && this.to === null) return true;
    const t = Date.parse(r.ts);
    return (this.from === null || t >= this.from) && (this.to === null || t < this.to);
  }

  /**
   * Rows from the live feed (already matching the subscription's filters). `atTop`:
   * the user sees the top of the list, so they are shown at once.
   */
  pushLive(rows: T[], atTop: boolean): void {
    if (this.attached === 0) {
      // nobody shows this list: fetch afresh when someone does
      this.stale = true;
      return;
    }
    const fresh = rows.filter((r) => this.inTime(r) && (this.loading || r.id > this.snapMaxId));
    if (fresh.length === 0) return;
    if (this.loading) {
      if (this.limbo.length < MAX_HEAD) this.limbo.push(...fresh);
      return;
    }
    if (!atTop) {
      this.pending += fresh.length;
      this.changed();
      return;
    }
    this.head = sortNewestFirst(fresh).concat(this.head);
    if (this.head.length > MAX_HEAD) this.reload();
    else this.scheduleResync();
    this.changed();
  }

  /** Soon after live rows stop arriving, a new snapshot puts them in the agent's order. */
  private scheduleResync(): void {
    if (this.resyncTimer !== null) window.clearTimeout(this.resyncTimer);
    this.resyncTimer = window.setTimeout(() => {
      this.resyncTimer = null;
      if (this.head.length) this.reload();
    }, 1500);
  }

  /** The user came back to the top with rows pending: show them. */
  catchUp(): void {
    if (this.pending > 0 && !this.loading) this.reload();
  }
}

function sortNewestFirst<T extends Keyed>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : b.id - a.id));
}
