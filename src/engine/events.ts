import type { AwsCallInfo } from '../aws/clients.js';
import type { ErrorCode, NoticeCode, WarningCode } from './messages.js';
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

/** One priced part of what the config runs (src/pricing), per month. */
export interface CostItem {
  /** What it is, for people: "NAT gateway", "Fargate tasks (web)". */
  resource: string;
  /** The plan step it belongs to (its id): its action in the plan decides the item's part of the delta. */
  step: string;
  /** Price component: fargate, alb, alb-lcu, nat, public-ipv4, ec2. */
  component: string;
  /** USD per month (730 hours); undefined when there is no price for it (e.g. an unknown instance type). */
  monthly?: number;
  /** How it was worked out: "1 × $0.045/hour × 730 h". */
  basis: string;
}

/** An estimate of the monthly cost: per resource, in total, and what the plan changes of it. */
export interface CostEstimate {
  region: string;
  currency: 'USD';
  /** Date of the price table. */
  pricesAsOf: string;
  /** False when there is no price data for the region: no items, no totals. */
  known: boolean;
  items: CostItem[];
  /** Sum of the items with a price, USD per month. */
  monthly?: number;
  /** What applying this plan adds (+) or removes (−) per month, and which resources make up that change. */
  delta?: number;
  changes?: { resource: string; monthly: number }[];
  /** What is usage-based or not priced (per-GB charges, log ingestion, Spot discounts). */
  notes: string[];
}

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  why?: string;
  fix?: string;
  /** A failed rollout's diagnosis (stopped tasks, exit codes, target health, logs), as data. */
  diagnosis?: RolloutDiagnosis;
}

/** One deployment of an ECS service, as `status` reports it. */
export interface DeploymentInfo {
  id: string;
  status: string;
  taskDefinition: string;
  desired: number;
  running: number;
  pending: number;
  failed: number;
  rolloutState?: string;
  rolloutStateReason?: string;
  createdAt?: string;
}

/** One load balancer target of a service and what the target group thinks of it. */
export interface TargetHealthInfo {
  targetGroup: string;
  id: string;
  port?: number;
  state: string;
  reason?: string;
  description?: string;
  /** Plain-English reading of the reason, when it is a common one. */
  explanation?: string;
}

export interface ServiceStatusInfo {
  service: string;
  cluster: string;
  /** False when the service does not exist (not deployed yet, or torn down). */
  exists: boolean;
  status?: string;
  desired?: number;
  running?: number;
  pending?: number;
  /** "family:revision" of what the service runs now, and of what ran before it. */
  taskDefinition?: string;
  previousTaskDefinition?: string;
  deployments: DeploymentInfo[];
  targets: TargetHealthInfo[];
  /** The newest service events, oldest first. */
  events: string[];
  url?: string;
  /** An internal service: where the app's other services reach it (ECS Service Connect). */
  internalUrl?: string;
  /** A queue worker's queue: messages waiting, in flight, and in the dead-letter queue. */
  queue?: QueueStatusInfo;
  /** A scheduled job (it has no ECS service): its schedule, next run and last runs. */
  schedule?: ScheduleStatusInfo;
}

export interface QueueStatusInfo {
  name: string;
  visible: number;
  inFlight: number;
  deadLetters: number;
}

/** One run of a scheduled job that ECS still remembers (stopped tasks stay listed for about an hour). */
export interface JobRunInfo {
  taskId: string;
  lastStatus: string;
  startedAt?: string;
  stoppedAt?: string;
  exitCode?: number;
  reason?: string;
}

export interface ScheduleStatusInfo {
  expression: string;
  timezone: string;
  state: string;
  /** ISO time of the next run (computed from the expression, the time zone and, for rate(), the schedule's creation). */
  nextRun?: string;
  taskDefinition?: string;
  lastRuns: JobRunInfo[];
}

/** A container of a stopped task: how it ended and the last lines it logged. */
export interface StoppedContainerInfo {
  name: string;
  exitCode?: number;
  reason?: string;
  /** Plain-English reading of the exit code / reason, when it is a common one. */
  explanation?: string;
  logStream?: string;
  /** The last lines of its CloudWatch log stream, oldest first. */
  logs: string[];
  /** Why `logs` is empty (no stream was written, not using awslogs, could not read it). */
  logsNote?: string;
}

/** One stopped task of the new revision and why it stopped. */
export interface StoppedTaskInfo {
  taskId: string;
  /** "family:revision". */
  taskDefinition: string;
  lastStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  explanation?: string;
  stoppedAt?: string;
  containers: StoppedContainerInfo[];
}

/** Why a rollout did not complete, assembled from ECS, ELB and CloudWatch Logs. */
export interface RolloutDiagnosis {
  service: string;
  cluster: string;
  verdict: 'failed' | 'rolled-back' | 'timed-out';
  /** One sentence: what happened. */
  summary: string;
  /** "family:revision" that was being deployed. */
  taskDefinition: string;
  rolledBackTo?: string;
  rolledBackBy?: 'ecs' | 'ecs-kit';
  counts: { desired: number; running: number; pending: number; failed: number };
  /** Stopped tasks of the new revision in all; `stoppedTasks` examines the newest few. */
  stoppedTotal: number;
  stoppedTasks: StoppedTaskInfo[];
  /** Targets of the service's target groups that are not healthy. */
  targets: TargetHealthInfo[];
  /** The newest service events, oldest first. */
  events: string[];
  consoleUrl: string;
  /** What could not be read (e.g. a missing permission); the rest is still reported. */
  notes: string[];
}

/** `ecs-kit doctor`: how one named preflight check ended. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable check name (credentials, region, quotas, …); scripts may depend on it. */
  name: string;
  status: CheckStatus;
  /** One line: what was found. */
  message: string;
  /** What to do about a warn or fail. */
  fix?: string;
  /** Per-item lines (one per service, quota, role) under the message. */
  details?: string[];
}

export interface CheckSummary {
  ok: number;
  warn: number;
  fail: number;
  skip: number;
}

export type EcsKitEvent =
  | { type: 'run.start'; command: string; app: string; env: string; region: string; account: string }
  /** `cost` is added by the CLI (src/pricing): what the config costs per month and what the plan changes of it. */
  | { type: 'plan'; command: 'deploy' | 'teardown'; steps: PlannedStepInfo[]; summary: PlanSummary; cost?: CostEstimate }
  | { type: 'step.start'; step: string; title: string; action: Action }
  | { type: 'step.progress'; step: string; message: string }
  | { type: 'step.done'; step: string; title: string; action: Action; durationMs: number }
  | { type: 'step.failed'; step: string; title: string; error: ErrorInfo }
  | ({ type: 'aws.call' } & AwsCallInfo)
  /** A notice; `code` says which (src/engine/messages.ts), `message` says it in words. */
  | { type: 'info'; code: NoticeCode; message: string }
  /** A warning: the run goes on. `code` is stable (src/engine/messages.ts); `message` is for people. */
  | { type: 'warn'; code: WarningCode; message: string; step?: string }
  | { type: 'output'; name: string; value: string }
  | { type: 'status'; app: string; env: string; services: ServiceStatusInfo[] }
  /** One CloudWatch log line of a service's task (logs, run-task). */
  | { type: 'log'; service: string; taskId: string; timestamp: string; message: string }
  | {
      type: 'run.done';
      command: string;
      /** paused: a rollout waits at a pause hook; stage-reached: deploy --wait-until returned at its stage. Both exit 0. */
      outcome: 'no-changes' | 'applied' | 'failed' | 'aborted' | 'empty' | 'planned' | 'paused' | 'stage-reached';
      durationMs: number;
      mutatingCalls: number;
      calls: number;
      /** With S3 state: writes to the state bucket so far (the lock taken, manifest writes; its release follows), not in mutatingCalls. */
      stateWrites?: number;
    }
  /** A rollout that did not complete: verdict plus why (stopped tasks, target health, logs). */
  | ({ type: 'diagnosis'; step?: string } & RolloutDiagnosis)
  | ({ type: 'error' } & ErrorInfo)
  /** One doctor check, in the fixed check order. */
  | ({ type: 'check' } & CheckResult)
  /** After the last doctor check: counts, and proof that nothing was changed (mutatingCalls). */
  | ({ type: 'check.summary'; durationMs: number; calls: number; mutatingCalls: number } & CheckSummary);

export interface Reporter {
  emit(event: EcsKitEvent): void;
  /** Stop spinners and flush; called once before the process exits. */
  close(): void;
}
