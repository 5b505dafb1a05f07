// A progress bar on standard error, only when it is a terminal.

export class Progress {
  private last = 0;
  private shown = false;
  constructor(private readonly label: string) {}

  static enabled(): boolean {
    return process.stderr.isTTY === true && !process.env.CI;
  }

  update(done: number, total: number): void {
    const now = Date.now();
    if (now - this.last < 200 || total <= 0) return;
    this.last = now;
    const frac = Math.min(1, done / total);
    const width = 30;
    const full = Math.round(frac * width);
    const mb = (n: number) => (n / 1048576).toFixed(1);
    process.stderr.write(`\r${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MB`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}
