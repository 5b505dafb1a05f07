// Bounds the number of flows under application-layer inspection at once. Inspection is
// what costs memory (identification bytes, a partial handshake message, out-of-order
// segments, parser state: kilobytes per flow, against a few hundred bytes for a flow that
// only counts), and a flood of connections that stall mid-handshake keeps every one of
// them inspecting. Beyond the budget, the flow that started inspection longest ago and is
// still at it is shed: its inspection stops (buffers released, what was learnt kept), it
// goes on counting, and its session says so. A handshake normally completes within a few
// round trips, so the oldest inspections are the stalled ones.
//
// O(1) per flow: a FIFO of (flow, id) in the order inspections started; entries of flows
// that finished, ended or were reused (a reused slot has a new flow id) are skipped lazily,
// and the queue is compacted when stale entries dominate it.

import { F_DECIDED, type FlowSlot } from './flow.js';
import type { FlowTable } from './flow-table.js';

export const DEFAULT_MAX_INSPECTED = 2048;

export class InspectionBudget {
  /** Flows inspecting now. */
  active = 0;
  /** Flows whose inspection was stopped by the budget. */
  shed = 0;
  private flows: number[] = [];
  private ids: number[] = [];
  private head = 0;

  constructor(
    readonly max: number,
    private readonly table: FlowTable,
    private readonly onShed: (f: FlowSlot) => void,
  ) {}

  /** `f` starts inspection (its inspector was just created). */
  add(f: FlowSlot): void {
    this.active++;
    this.flows.push(f);
    this.ids.push(this.table.id[f]);
    while (this.active > this.max && this.shedOldest());
    if (this.head > 1024 && this.head * 2 > this.flows.length) this.compact();
    else if (this.flows.length - this.head > 4 * this.max + 1024) this.compact();
  }

  /** `f` stops inspection (decided, shed or ended): to be called once per add(). */
  remove(): void {
    this.active--;
  }

  /** Entry i is a flow still inspecting (not ended, its slot not reused, not decided). */
  private inspecting(i: number): boolean {
    const f = this.flows[i];
    const t = this.table;
    return f >= 0 && t.id[f] === this.ids[i] && (t.flags[f] & F_DECIDED) === 0 && (t.app[f]?.inspector ?? null) !== null;
  }

  private shedOldest(): boolean {
    while (this.head < this.flows.length) {
      const i = this.head++;
      const live = this.inspecting(i);
      const f = this.flows[i];
      this.flows[i] = -1;
      if (live) {
        this.shed++;
        this.onShed(f); // decides the flow, which calls remove()
        return true;
      }
    }
    return false;
  }

  /** Drops consumed and stale entries. */
  private compact(): void {
    const flows: number[] = [];
    const ids: number[] = [];
    for (let i = this.head; i < this.flows.length; i++) {
      if (!this.inspecting(i)) continue;
      flows.push(this.flows[i]);
      ids.push(this.ids[i]);
    }
    this.flows = flows;
    this.ids = ids;
    this.head = 0;
  }
}
