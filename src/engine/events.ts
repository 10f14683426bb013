import type { AwsCallInfo } from '../aws/clients.js';
import type { Action, Change } from './types.js';

/**
 * Everything the core has to say goes through these events; the CLI picks a reporter
 * (TTY spinners, plain timestamped lines, or JSON lines). Event `type`s are stable: the
 * JSON reporter prints them as-is and scripts may depend on them.
 */
export interface PlannedStepInfo {
  id: string;
  title: string;
  action: Action;
  changes: Change[];
  /** Set when the step could not be read yet because a dependency will be created first. */
  pendingOn?: string;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  noop: number;
}

export interface ErrorInfo {
  code: string;
  message: string;
  why?: string;
  fix?: string;
}

export type EcsKitEvent =
  | { type: 'run.start'; command: string; app: string; env: string; region: string; account: string }
  | { type: 'plan'; command: 'deploy' | 'teardown'; steps: PlannedStepInfo[]; summary: PlanSummary }
  | { type: 'step.start'; step: string; title: string; action: Action }
  | { type: 'step.progress'; step: string; message: string }
  | { type: 'step.done'; step: string; title: string; action: Action; durationMs: number }
  | { type: 'step.failed'; step: string; title: string; error: ErrorInfo }
  | ({ type: 'aws.call' } & AwsCallInfo)
  | { type: 'info'; message: string }
  | { type: 'warn'; message: string; step?: string }
  | { type: 'output'; name: string; value: string }
  | { type: 'run.done'; command: string; outcome: 'no-changes' | 'applied' | 'failed' | 'aborted' | 'empty'; durationMs: number; mutatingCalls: number; calls: number }
  | ({ type: 'error' } & ErrorInfo);

export interface Reporter {
  emit(event: EcsKitEvent): void;
  /** Stop spinners and flush; called once before the process exits. */
  close(): void;
}

/** A reporter that keeps events in memory — used by tests, and by nothing else. */
export class RecordingReporter implements Reporter {
  readonly events: EcsKitEvent[] = [];
  emit(event: EcsKitEvent): void {
    this.events.push(event);
  }
  close(): void {}
  ofType<T extends EcsKitEvent['type']>(type: T): Extract<EcsKitEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<EcsKitEvent, { type: T }>[];
  }
}
