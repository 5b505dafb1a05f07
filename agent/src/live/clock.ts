// Receive-time timestamps for packets that come from a socket or a capture binding
// that gives none: wall clock with microsecond resolution, read into two numbers
// without allocating.

const origin = performance.timeOrigin;

export class WallClock {
  sec = 0;
  nsec = 0;

  /** Reads the clock into `sec` / `nsec`. */
  read(): void {
    const ms = origin + performance.now();
    const sec = Math.floor(ms / 1000);
    this.sec = sec;
    this.nsec = Math.floor((ms - sec * 1000) * 1e6);
  }

  static nowSec(): number {
    return Math.floor((origin + performance.now()) / 1000);
  }
}
