import { Writable } from 'node:stream';

/** A writable that keeps what was written, optionally pretending to be a terminal. */
export class Capture extends Writable {
  chunks: string[] = [];
  isTTY?: boolean;
  columns?: number;

  constructor(opts: { isTTY?: boolean; columns?: number } = {}) {
    super();
    if (opts.isTTY !== undefined) this.isTTY = opts.isTTY;
    if (opts.columns !== undefined) this.columns = opts.columns;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }

  get text(): string {
    return this.chunks.join('');
  }

  get lines(): string[] {
    return this.text.split('\n').filter((l) => l !== '');
  }
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001b\[/;
