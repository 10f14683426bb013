import type { Action } from '../engine/types.js';
import type { EcsKitEvent, Reporter } from '../engine/events.js';
import {
  actionPast,
  actionPresent,
  errorKey,
  fitLine,
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
  makeStyle,
  runDoneIsResult,
  type Style,
} from './format.js';

/** The part of an ora spinner we use; tests pass a fake. */
export interface SpinnerLike {
  text: string;
  readonly isSpinning: boolean;
  start(): unknown;
  stop(): unknown;
  clear(): unknown;
  render(): unknown;
}

export type SpinnerFactory = (stream: NodeJS.WritableStream, color: boolean) => SpinnerLike | Promise<SpinnerLike>;

export interface TtyReporterOptions {
  verbose: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  color?: boolean;
  /** Defaults to ora when stderr is a terminal; without one, progress is printed as lines. */
  spinner?: SpinnerFactory;
}

// ora is only loaded when a terminal will show it, so `--help` and piped runs never pay for it.
const oraSpinner: SpinnerFactory = async (stream, color) => {
  const { default: ora } = await import('ora');
  // discardStdin would put stdin in raw mode and swallow Ctrl-C, which the CLI handles itself.
  return ora({ stream, discardStdin: false, color: color ? 'cyan' : false });
};

interface Running {
  title: string;
  action: Action;
  message?: string;
}

/**
 * For people at a terminal: one spinner line for whatever is running (steps run
 * concurrently, so it names them all) and a ✔/✖ line per finished step. Plan, outputs
 * and the final result go to stdout; progress, warnings and errors to stderr.
 */
export class TtyReporter implements Reporter {
  private readonly style: Style;
  private readonly running = new Map<string, Running>();
  private readonly titles = new Map<string, string>();
  private readonly shownErrors = new Set<string>();
  private spinner?: SpinnerLike;
  /** True when progress lives in a spinner (loaded or still loading), so it is not printed as lines. */
  private readonly useSpinner: boolean;
  private latest?: string;
  private closed = false;

  constructor(private readonly o: TtyReporterOptions) {
    const term = o.stderr as { isTTY?: boolean; columns?: number };
    const isTty = Boolean(term.isTTY);
    const color = o.color ?? (isTty && !process.env.NO_COLOR);
    this.style = makeStyle(color);
    // A terminal that reports 0 columns (some CI ptys) makes ora clear lines forever.
    this.useSpinner = o.spinner !== undefined || (isTty && term.columns !== 0);
    if (this.useSpinner) {
      const made = (o.spinner ?? oraSpinner)(o.stderr, color);
      if (made instanceof Promise) {
        made.then(
          (s) => {
            if (this.closed) return;
            this.spinner = s;
            this.sync();
          },
          () => undefined, // no spinner is fine: ✔/✖ lines still print
        );
      } else {
        this.spinner = made;
      }
    }
  }

  emit(event: EcsKitEvent): void {
    const st = this.style;
    switch (event.type) {
      case 'run.start':
        return this.err(st.dim(formatRunStart(event)));
      case 'plan':
        return this.out(...formatPlan(event, { verbose: this.o.verbose, style: st }));
      case 'step.start':
        this.titles.set(event.step, event.title);
        this.running.set(event.step, { title: event.title, action: event.action });
        if (!this.useSpinner) this.err(st.dim(`${actionPresent(event.action)} ${event.title}…`));
        return this.sync();
      case 'step.progress': {
        const r = this.running.get(event.step);
        if (r) {
          r.message = event.message;
          this.latest = event.step;
        }
        if (!this.useSpinner || !r) this.err(st.dim(`  ${this.titleOf(event.step)}: ${event.message}`));
        return this.sync();
      }
      case 'step.done':
        this.running.delete(event.step);
        this.err(`${st.green('✔')} ${actionPast(event.action)} ${event.title} ${st.dim(`(${formatDuration(event.durationMs)})`)}`);
        return this.sync();
      case 'step.failed':
        this.running.delete(event.step);
        this.shownErrors.add(errorKey(event.error));
        this.err(...formatError(event.error, { prefix: `${st.red('✖')} ${event.title} failed: `, style: st }));
        return this.sync();
      case 'aws.call':
        if (this.o.verbose) this.err(st.dim(`  ${formatAwsCall(event)}`));
        return;
      case 'info':
        return this.err(event.message);
      case 'warn':
        return this.err(`${st.yellow('⚠')} ${event.step ? `${this.titleOf(event.step)}: ` : ''}${event.message}`);
      case 'output':
        return this.out(`${st.bold(outputLabel(event.name))}: ${st.cyan(event.value)}`);
      case 'status':
        return this.out(...formatStatus(event, st));
      case 'log':
        return this.out(formatLog(event, st));
      case 'run.done':
        this.stopAll();
        return runDoneIsResult(event) ? this.out(st.bold(formatRunDone(event))) : this.err(formatRunDone(event));
      case 'diagnosis':
        // Normally already part of the failed step's "why"; printed only when it arrives alone.
        if (diagnosisShown(this.shownErrors, event)) return;
        return this.err(...formatDiagnosis(event, st));
      case 'check':
        return this.out(...formatCheck(event, { style: st, symbols: true }));
      case 'check.summary':
        return this.out(st.bold(formatCheckSummary(event)));
      case 'error':
        this.stopAll();
        if (this.shownErrors.has(errorKey(event))) return;
        return this.err(...formatError(event, { prefix: `${st.red('✖')} `, style: st }));
    }
  }

  close(): void {
    this.closed = true;
    this.stopAll();
  }

  private titleOf(step: string): string {
    return this.titles.get(step) ?? step;
  }

  private stopAll(): void {
    this.running.clear();
    this.sync();
  }

  /** Make the spinner match what is running: text, start, or stop. */
  private sync(): void {
    const s = this.spinner;
    if (!s) return;
    if (this.running.size === 0 || this.closed) {
      if (s.isSpinning) s.stop();
      return;
    }
    s.text = this.spinnerText();
    if (!s.isSpinning) s.start();
  }

  private spinnerText(): string {
    const columns = (this.o.stderr as { columns?: number }).columns;
    const steps = [...this.running.values()];
    if (steps.length === 1) {
      const r = steps[0]!;
      return fitLine(`${actionPresent(r.action)} ${r.title}${r.message ? ` — ${r.message}` : ''}`, columns);
    }
    const latest = this.latest ? this.running.get(this.latest) : undefined;
    const others = steps.filter((r) => r !== latest).map((r) => r.title);
    // The newest progress message is the most useful thing to see; the rest just get named.
    const text = latest?.message
      ? `${latest.title}: ${latest.message} (also running: ${others.join(', ')})`
      : `${steps.length} steps running: ${steps.map((r) => r.title).join(', ')}`;
    return fitLine(text, columns);
  }

  private out(...lines: string[]): void {
    this.write(this.o.stdout, lines);
  }

  private err(...lines: string[]): void {
    this.write(this.o.stderr, lines);
  }

  private write(stream: NodeJS.WritableStream, lines: string[]): void {
    const s = this.spinner;
    const spinning = Boolean(s?.isSpinning);
    // Lift the spinner off its line, print, then draw it again underneath.
    if (spinning) s!.clear();
    stream.write(`${lines.join('\n')}\n`);
    if (spinning) s!.render();
  }
}
