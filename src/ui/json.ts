import type { EcsKitEvent, Reporter } from '../engine/events.js';

export interface JsonReporterOptions {
  verbose: boolean;
  stdout: NodeJS.WritableStream;
  now?: () => Date;
}

/**
 * One JSON object per line on stdout, the event as-is plus `time`. Nothing else is ever
 * written to stdout, so `ecs-kit deploy --json | jq` always works. aws.call only with --verbose.
 */
export class JsonReporter implements Reporter {
  private readonly now: () => Date;

  constructor(private readonly o: JsonReporterOptions) {
    this.now = o.now ?? (() => new Date());
  }

  emit(event: EcsKitEvent): void {
    if (event.type === 'aws.call' && !this.o.verbose) return;
    this.o.stdout.write(`${JSON.stringify({ time: this.now().toISOString(), ...event })}\n`);
  }

  close(): void {}
}
