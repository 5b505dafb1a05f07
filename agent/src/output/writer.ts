// Batched NDJSON output: documents are joined in memory and written in large
// chunks, so per-session output costs one JSON.stringify and no syscall.

export interface DocumentSink {
  write(doc: object): void;
  flush(): void;
  close(): Promise<void>;
}

export class NdjsonWriter implements DocumentSink {
  private parts: string[] = [];
  private pending = 0;
  private broken = false;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly batchBytes = 1 << 18,
  ) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // a closed pipe (`| head`) ends output quietly; anything else is reported once
      if (e.code !== 'EPIPE') process.stderr.write(`intransit: output error: ${e.message}\n`);
      this.broken = true;
    });
  }

  write(doc: object): void {
    if (this.broken) return;
    const line = JSON.stringify(doc);
    this.parts.push(line);
    this.pending += line.length + 1;
    if (this.pending >= this.batchBytes) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0 || this.broken) return;
    const text = this.parts.join('\n') + '\n';
    this.parts = [];
    this.pending = 0;
    // process.stdout is synchronous for files and, on Linux, for pipes: memory stays flat
    this.stream.write(text);
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}

/** Collects documents in memory (tests, and the later store/stream sinks). */
export class ArraySink implements DocumentSink {
  readonly docs: object[] = [];
  write(doc: object): void {
    this.docs.push(doc);
  }
  flush(): void {}
  async close(): Promise<void> {}
}
