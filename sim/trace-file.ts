import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceRecord, TraceSink } from './trace.js';

/**
 * Streams trace records to a JSON-lines file, one object per line, buffered so a long run
 * makes few system calls. Memory stays flat: nothing is kept after it is written.
 */
export class JsonlFileSink implements TraceSink {
  private readonly fd: number;
  private buffer: string[] = [];
  private buffered = 0;
  lines = 0;

  constructor(readonly path: string, private readonly flushAt = 1 << 16) {
    this.fd = openSync(path, 'w');
  }

  write(record: TraceRecord): void {
    const line = JSON.stringify(record) + '\n';
    this.buffer.push(line);
    this.buffered += line.length;
    this.lines++;
    if (this.buffered >= this.flushAt) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.buffered = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
