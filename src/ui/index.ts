import type { Reporter } from '../engine/events.js';
import { JsonReporter } from './json.js';
import { PlainReporter } from './plain.js';
import { TtyReporter } from './tty.js';

export type ReporterMode = 'tty' | 'plain' | 'json';

export interface ReporterOptions {
  verbose: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** tty only; plain and json never use color. Defaults to "stderr is a terminal and NO_COLOR is unset". */
  color?: boolean;
}

export function createReporter(mode: ReporterMode, opts: ReporterOptions): Reporter {
  switch (mode) {
    case 'json':
      return new JsonReporter({ verbose: opts.verbose, stdout: opts.stdout });
    case 'plain':
      return new PlainReporter({ verbose: opts.verbose, stdout: opts.stdout, stderr: opts.stderr });
    case 'tty':
      return new TtyReporter({ verbose: opts.verbose, stdout: opts.stdout, stderr: opts.stderr, color: opts.color });
  }
}

export { JsonReporter, PlainReporter, TtyReporter };
