import type { AwsClients } from '../aws/clients.js';
import type { Owner } from '../aws/tags.js';
import type { Config, ServiceConfig } from '../config/schema.js';
import type { Names } from '../config/names.js';
import type { DockerCli } from '../docker/cli.js';
import type { PolicyContext } from '../security/policy-context.js';
import type { Statement } from '../security/statements.js';
import type { WaitStage } from '../rollout/stages.js';
import type { WarningCode } from './messages.js';

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop';

/** One field that differs between what exists and what the config wants. */
export interface Change {
  field: string;
  before?: unknown;
  after?: unknown;
}

/**
 * What a step found and what it would do. `current` describes what exists now (required
 * for `noop`, so the runner can record it without calling apply). `data` is private to the
 * step: whatever `plan` read that `apply` needs.
 */
export interface StepPlan<S extends object = object, D = unknown> {
  action: Exclude<Action, 'delete'>;
  changes: Change[];
  current?: S;
  data?: D;
  /**
   * True when applying this plan gives the step new outputs (e.g. a new task definition
   * ARN), so steps that depend on it will change too; the plan shows them as updates.
   */
  outputsChange?: boolean;
}

export interface RunOptions {
  /** Wait for the ECS service rollout to finish (--no-wait turns it off). */
  wait: boolean;
  /** Upper bound for the rollout wait (--timeout). */
  timeoutMs: number;
  /** How often to poll while waiting. */
  pollIntervalMs: number;
  /** Upper bound for retrying delete-time dependency errors (ENIs draining, etc.). */
  destroyRetryMs: number;
  /** Upper bound for retrying AWS's eventual consistency (a new id, role or service-linked role not visible yet). */
  propagationRetryMs: number;
  /** Stop waiting once this many tasks of the new revision have stopped (--max-failed-tasks). */
  maxFailedTasks: number;
  /** After a failed rollout, put the service back on its previous task definition (--no-rollback turns it off). */
  rollback: boolean;
  /** deploy --wait-until: a blue/green, linear or canary rollout is followed only until this lifecycle stage. */
  waitUntil?: WaitStage;
}

export const DEFAULT_RUN_OPTIONS: RunOptions = {
  wait: true,
  timeoutMs: 15 * 60_000,
  pollIntervalMs: 10_000,
  destroyRetryMs: 10 * 60_000,
  propagationRetryMs: 3 * 60_000,
  maxFailedTasks: 3,
  rollback: true,
};

/** Thrown by ctx.dep() while planning when a dependency does not exist yet. */
export class PendingDependency extends Error {
  constructor(readonly dependency: string) {
    super(`waiting for ${dependency}`);
    this.name = 'PendingDependency';
  }
}

/**
 * A step as something other steps depend on: its kind and, for the type checker only, the state it
 * records. `ctx.dep(clusterStep)` returns a ClusterState with no type argument and no string id.
 */
export interface StepRef<S extends object = object> {
  readonly kind: string;
  /** Never set: carries the state type. */
  readonly __state?: S;
}

/** The instance id of a dependency, for `instances()`: `after(clusterStep)`, `after(taskDefinitionStep, 'web')`. */
export function after(step: StepRef, scope?: string): string {
  return instanceId(step.kind, scope);
}

export interface StepContext<S extends object = object> {
  /** Instance id: the kind, plus ":<service>" for per-service steps. */
  id: string;
  kind: string;
  /** Service name for per-service steps. */
  scope?: string;
  owner: Owner;
  region: string;
  account: string;
  /** Present on deploy; on teardown the config may no longer mention this step. */
  config?: Config;
  /** The service's config, for per-service steps during deploy. */
  service?: ServiceConfig;
  names: Names;
  aws: AwsClients;
  docker: DockerCli;
  /** This step's state from the manifest (what ecs-kit created last time), if any. */
  previous?: S;
  /** Directory the config file is in: build contexts and other relative paths start here. */
  baseDir: string;
  /** ecs-kit's own files there (the config file and the manifest folder), e.g. to leave out of an image's source digest. */
  ownFiles: string[];
  /** State of a step this one depends on (a per-service step: pass the service name). */
  dep<T extends object>(step: StepRef<T>, scope?: string): T;
  /**
   * Save what exists so far before a long or failure-prone part of apply (e.g. the
   * rollout wait), so a failed or killed run still leaves it in the manifest.
   */
  record(state: S): Promise<void>;
  progress(message: string): void;
  /** A warning the run goes on after; `code` is its stable name in src/engine/messages.ts. */
  warn(code: WarningCode, message: string): void;
  options: RunOptions;
  signal: AbortSignal;
}

/**
 * One kind of step (network, cluster, service, …). Every module has this one shape:
 * plan (read only) → apply (change what differs, return the owned ids) → destroy.
 */
export interface StepModule<S extends object = object, D = unknown> extends StepRef<S> {
  kind: string;
  title(scope?: string): string;
  /**
   * The instances the config wants (one, or one per service) and what each waits for: `dependsOn` on deploy and,
   * reversed, on teardown; `deployOnly` on deploy alone (an ordering, not a use: the NAT route a service's tasks pull
   * images through must exist before the service starts, but deleting the NAT gateway need not wait for the service to
   * drain, nor the other way round).
   */
  instances(config: Config): InstanceSpec[];
  /** Read-only: Describe/List/Get calls only. Must never mutate, build or write anything. */
  plan(ctx: StepContext<S>): Promise<StepPlan<S, D>>;
  /**
   * Local work that must succeed before AWS changes (an image build, as the CDK builds assets before it
   * deploys). Deploy runs it for every step with something to do, after the confirmation and before apply;
   * `plan` and `--dry-run` never do. Makes no AWS call.
   */
  prepare?(ctx: StepContext<S>): Promise<void>;
  /** Make AWS match the config; returns the ids/ARNs to record in the manifest. */
  apply(ctx: StepContext<S>, plan: StepPlan<S, D>): Promise<S>;
  /** Delete what `state` says we own. A resource already gone counts as deleted. */
  destroy(ctx: StepContext<S>, state: S): Promise<void>;
  /** Values worth printing after a deploy, e.g. the URL. */
  outputs?(state: S): Record<string, string>;
  /**
   * The IAM statements this step's own calls need (plan, apply and destroy, and the helpers they use). The deployer
   * policy (src/security/deployer-policy.ts) grants them to every config with an instance of this step.
   */
  permissions?(ctx: PolicyContext): Statement[];
  /** The kinds of AWS resources this step creates, as "<service>:<resource type>" (e.g. ec2:vpc); the e2e inventory lists each. */
  resourceKinds?: readonly ResourceKind[];
}

/** One instance of a step: its scope (per-service steps) and what it waits for (see StepModule.instances). */
export interface InstanceSpec {
  scope?: string;
  dependsOn: string[];
  deployOnly?: string[];
}

/** An AWS resource type as IAM's service authorization reference names it: "ec2:vpc", "ecs:cluster". */
type ResourceKind = `${string}:${string}`;

export function instanceId(kind: string, scope?: string): string {
  return scope ? `${kind}:${scope}` : kind;
}

/**
 * A step as the registry and the runner hold it: every step has its own state and plan-data types, and a list of
 * them can only say "some state, some data". Each step is fully typed where it is written.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous registry (see above)
export type AnyStepModule = StepModule<any, any>;
