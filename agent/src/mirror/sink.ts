// The document path of the mirror command: every session document passes the mirror
// doctor (one-direction counts) and the optional enrichment (cloud.* / observer.*),
// and the summary gets the `intransit.summary.mirror` section. Runs per document,
// never per packet.

import type { DocumentSink } from '../output/writer.js';
import type { MirrorDoctor } from './doctor.js';

export type DocumentTransform = (doc: Record<string, any>) => void;

export class MirrorSink implements DocumentSink {
  constructor(
    private readonly inner: DocumentSink,
    private readonly doctor: MirrorDoctor,
    private readonly mirrorSection: () => Record<string, unknown>,
    private readonly transform: DocumentTransform | null = null,
  ) {}

  write(doc: object): void {
    const d = doc as Record<string, any>;
    const dataset = d.event?.dataset;
    if (dataset === 'intransit.session') this.doctor.session(d);
    else if (dataset === 'intransit.summary' && d.intransit?.summary) {
      this.doctor.check();
      d.intransit.summary.mirror = this.mirrorSection();
    }
    if (this.transform !== null) this.transform(d);
    this.inner.write(doc);
  }

  flush(): void {
    this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
