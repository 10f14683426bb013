import type { EcsKitEvent, Reporter } from '../engine/events.js';
import {
  actionPast,
  actionPresent,
  errorKey,
  formatAwsCall,
  formatCheck,
  formatCheckSummary,
  formatDuration,
  diagnosisShown,
  formatDiagnosis,
  formatError,
  formatLog,
  formatPlan,
  formatRunDone,
  formatRunStart,
  formatStatus,
  outputLabel,
  runDoneIsResult,
} from './format.js';

export interface PlainReporterOptions {
  verbose: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Injectable clock for tests. */
  now?: () => Date;
}

/**
 * For CI logs and pipes: every line starts with an ISO-8601 timestamp; no colors, no
 * cursor movement. Results (plan, outputs) on stdout; everything else on stderr.
 */
export class PlainReporter implements Reporter {
  private readonly now: () => Date;
  private readonly titles = new Map<string, string>();
  private readonly shownErrors = new Set<string>();

  constructor(private readonly o: PlainReporterOptions) {
    this.now = o.now ?? (() => new Date());
  }

  emit(event: EcsKitEvent): void {
    switch (event.type) {
      case 'run.start':
        return this.err(formatRunStart(event));
      case 'plan':
        return this.out(...formatPlan(event, { verbose: this.o.verbose }));
      case 'step.start':
        this.titles.set(event.step, event.title);
        return this.err(`${actionPresent(event.action)} ${event.title}…`);
      case 'step.progress':
        return this.err(`${this.titles.get(event.step) ?? event.step}: ${event.message}`);
      case 'step.done':
        return this.err(`${actionPast(event.action)} ${event.title} (${formatDuration(event.durationMs)})`);
      case 'step.failed':
        this.shownErrors.add(errorKey(event.error));
        return this.err(...formatError(event.error, { prefix: `FAILED ${event.title}: ` }));
      case 'aws.call':
        if (this.o.verbose) this.err(formatAwsCall(event));
        return;
      case 'info':
        return this.err(event.message);
      case 'warn':
        return this.err(`WARNING ${event.step ? `${this.titles.get(event.step) ?? event.step}: ` : ''}${event.message}`);
      case 'output':
        return this.out(`${outputLabel(event.name)}: ${event.value}`);
      case 'status':
        return this.out(...formatStatus(event));
      case 'log':
        return this.out(formatLog(event));
      case 'run.done':
        return runDoneIsResult(event) ? this.out(formatRunDone(event)) : this.err(formatRunDone(event));
      case 'diagnosis':
        // Normally already part of the failed step's "why"; printed only when it arrives alone.
        if (diagnosisShown(this.shownErrors, event)) return;
        return this.err(...formatDiagnosis(event));
      case 'check':
        return this.out(...formatCheck(event));
      case 'check.summary':
        return this.out(formatCheckSummary(event));
      case 'error':
        // The runner already reported this failure with its step; don't print it twice.
        if (this.shownErrors.has(errorKey(event))) return;
        return this.err(...formatError(event, { prefix: 'ERROR ' }));
    }
  }

  close(): void {}

  private out(...lines: string[]): void {
    this.write(this.o.stdout, lines);
  }

  private err(...lines: string[]): void {
    this.write(this.o.stderr, lines);
  }

  private write(stream: NodeJS.WritableStream, lines: string[]): void {
    const ts = this.now().toISOString();
    // A message can carry its own newlines (e.g. a list of config problems): stamp every line.
    const all = lines.flatMap((l) => l.split('\n'));
    stream.write(all.map((l) => `${ts} ${l}`).join('\n') + '\n');
  }
}
