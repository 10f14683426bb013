import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  paginateListTaskDefinitions,
  type ContainerDefinition,
  type DescribeTaskDefinitionResponse,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { isAwsError, messageIncludes } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { ecsTags, isOwnedBy, type Owner } from '../../aws/tags.js';
import { cpuArchitectureOf } from '../../config/architecture.js';
import type { ServiceConfig } from '../../config/schema.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { buildsImage, imageStep } from '../image/index.js';
import { logsStep } from '../logs/index.js';
import { executionRoleStep, taskRoleStep } from '../roles/index.js';
import { hasSecrets, secretsStep } from '../secrets/index.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { queueStep, type QueueState } from '../queue/index.js';
import { taskDefinitionPermissions } from './permissions.js';

export interface TaskDefinitionState {
  family: string;
  taskDefinitionArn: string;
  revision: number;
}

type Ctx = StepContext<TaskDefinitionState>;

export interface RenderInput {
  family: string;
  /** The service name; also the container name. */
  container: string;
  service: ServiceConfig;
  image: string;
  executionRoleArn: string;
  taskRoleArn: string;
  logGroup: string;
  /** Variable name → valueFrom ARN (resolved by the secrets step); never values. */
  secrets?: Record<string, string>;
  region: string;
  owner: Owner;
  /** A queue worker's queue: its URLs go into QUEUE_URL and DLQ_URL. */
  queue?: { url: string; deadLetterUrl: string };
}

/** The RegisterTaskDefinition request for one service: one task (Fargate, or EC2 in awsvpc/bridge mode), its container and sidecars. */
export function renderTaskDefinition(o: RenderInput): RegisterTaskDefinitionCommandInput {
  const svc = o.service;
  const environment: Record<string, string> = {
    ...svc.environment,
    ...(o.queue ? { QUEUE_URL: o.queue.url, DLQ_URL: o.queue.deadLetterUrl } : {}),
  };
  const container = containerDefinition(o, { name: o.container, image: o.image, essential: true, environment, command: svc.command });
  const ec2 = svc.capacity === 'ec2';
  // Bridge mode (EC2 only): hostPort 0 lets ECS pick a free port per task, so several fit on one instance.
  const bridge = ec2 && svc.networkMode === 'bridge';
  if (svc.port !== undefined) {
    // An internal service's port is named for Service Connect (its portName), with the HTTP protocol it proxies.
    const named = svc.internal ? { name: o.container, appProtocol: 'http' as const } : {};
    container.portMappings = [{ containerPort: svc.port, ...(bridge ? { hostPort: 0 } : {}), protocol: 'tcp', ...named }];
  }
  if (bridge) container.memory = svc.memory;
  // ECS Exec (services.<name>.exec): an init process reaps the sessions' child processes (ECS Developer Guide, ECS Exec).
  if (svc.exec) container.linuxParameters = { initProcessEnabled: true };
  const secretNames = Object.keys(o.secrets ?? {}).sort();
  if (secretNames.length) container.secrets = secretNames.map((name) => ({ name, valueFrom: o.secrets![name]! }));
  if (svc.healthCheck) {
    const h = svc.healthCheck;
    container.healthCheck = {
      command: [...h.command],
      interval: h.interval,
      timeout: h.timeout,
      retries: h.retries,
      startPeriod: h.startPeriod,
    };
  }
  const sidecars = Object.keys(svc.sidecars)
    .sort()
    .map((name) => {
      const s = svc.sidecars[name]!;
      const c = containerDefinition(o, { name, image: s.image, essential: s.essential, environment: s.environment, command: s.command });
      if (s.port !== undefined) c.portMappings = [{ containerPort: s.port, ...(bridge ? { hostPort: 0 } : {}), protocol: 'tcp' }];
      return c;
    });
  return {
    family: o.family,
    networkMode: bridge ? 'bridge' : 'awsvpc',
    requiresCompatibilities: [ec2 ? 'EC2' : 'FARGATE'],
    cpu: String(svc.cpu),
    memory: String(svc.memory),
    // Fargate runs the image on exactly this architecture (ECS RuntimePlatform): an arm64 image on
    // X86_64 dies with "exec format error". On EC2 the instances' AMI decides; a pin would only block placement.
    ...(ec2 ? {} : { runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: cpuArchitectureOf(svc) } }),
    executionRoleArn: o.executionRoleArn,
    taskRoleArn: o.taskRoleArn,
    containerDefinitions: [container, ...sidecars],
    // Fargate's task storage beyond the 20 GiB it always gives (ECS API reference, EphemeralStorage: 21-200 GiB).
    ...(svc.ephemeralStorage !== undefined ? { ephemeralStorage: { sizeInGiB: svc.ephemeralStorage } } : {}),
    tags: ecsTags(o.owner),
  };
}

/** One container: image, environment (sorted), command, awslogs to the service's group, and the service's stopTimeout. */
function containerDefinition(
  o: RenderInput,
  c: { name: string; image: string; essential: boolean; environment: Record<string, string>; command?: string[] | undefined },
): ContainerDefinition {
  return {
    name: c.name,
    image: c.image,
    essential: c.essential,
    environment: Object.keys(c.environment)
      .sort()
      .map((name) => ({ name, value: c.environment[name] })),
    logConfiguration: {
      logDriver: 'awslogs',
      options: { 'awslogs-group': o.logGroup, 'awslogs-region': o.region, 'awslogs-stream-prefix': 'ecs' },
    },
    ...(c.command ? { command: [...c.command] } : {}),
    ...(o.service.stopTimeout !== undefined ? { stopTimeout: o.service.stopTimeout } : {}),
  };
}

export interface NormalizedContainer {
  image?: string;
  essential: boolean;
  portMappings: { containerPort?: number; hostPort?: number; protocol: string; name?: string; appProtocol?: string }[];
  healthCheck?: { command: string[]; interval?: number; timeout?: number; retries?: number; startPeriod?: number };
  stopTimeout?: number;
  /** name → value; a map, so order never matters. */
  environment: Record<string, string>;
  command: string[];
  /** name → valueFrom (an ARN, not a value). */
  secrets: Record<string, string>;
  logConfiguration?: { logDriver?: string; options: Record<string, string> };
  /** linuxParameters.initProcessEnabled, present only when true (ECS Exec). */
  initProcessEnabled?: true;
}

export interface NormalizedTaskDefinition {
  family?: string;
  networkMode?: string;
  requiresCompatibilities: string[];
  cpu?: string;
  memory?: string;
  runtimePlatform?: { operatingSystemFamily?: string; cpuArchitecture?: string };
  ephemeralStorage?: number;
  executionRoleArn?: string;
  taskRoleArn?: string;
  containers: Record<string, NormalizedContainer>;
}

/** A container health check with ECS's defaults filled in (interval 30, timeout 5, retries 3, startPeriod 0). */
function normalizeHealthCheck(h: NonNullable<ContainerDefinition['healthCheck']>): NonNullable<NormalizedContainer['healthCheck']> {
  return {
    command: h.command ?? [],
    interval: h.interval ?? 30,
    timeout: h.timeout ?? 5,
    retries: h.retries ?? 3,
    startPeriod: h.startPeriod ?? 0,
  };
}

function sortedRecord(entries: [string, string][]): Record<string, string> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Reduce a task definition (as registered, or as described) to the request fields ecs-kit
 * sets, without what AWS fills in: status, revision, compatibilities, empty lists, a
 * hostPort equal to the containerPort (awsvpc), container cpu 0, and so on.
 */
export function normalizeTaskDefinition(td: TaskDefinition | RegisterTaskDefinitionCommandInput): NormalizedTaskDefinition {
  const containers: Record<string, NormalizedContainer> = {};
  for (const c of td.containerDefinitions ?? []) {
    const log = c.logConfiguration;
    containers[c.name ?? ''] = {
      image: c.image,
      essential: c.essential ?? true,
      portMappings: (c.portMappings ?? [])
        .map((p) => ({
          containerPort: p.containerPort,
          ...(p.hostPort !== undefined && p.hostPort !== p.containerPort ? { hostPort: p.hostPort } : {}),
          protocol: p.protocol ?? 'tcp',
          ...(p.name ? { name: p.name } : {}),
          ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
        }))
        .sort((a, b) => (a.containerPort ?? 0) - (b.containerPort ?? 0)),
      environment: sortedRecord((c.environment ?? []).map((e) => [e.name ?? '', e.value ?? ''])),
      command: c.command ?? [],
      secrets: sortedRecord((c.secrets ?? []).map((e) => [e.name ?? '', e.valueFrom ?? ''])),
      ...(c.healthCheck ? { healthCheck: normalizeHealthCheck(c.healthCheck) } : {}),
      ...(c.stopTimeout !== undefined ? { stopTimeout: c.stopTimeout } : {}),
      ...(log ? { logConfiguration: { logDriver: log.logDriver, options: sortedRecord(Object.entries(log.options ?? {})) } } : {}),
      ...(c.linuxParameters?.initProcessEnabled ? { initProcessEnabled: true as const } : {}),
    };
  }
  const rp = td.runtimePlatform;
  return {
    family: td.family,
    networkMode: td.networkMode,
    requiresCompatibilities: [...(td.requiresCompatibilities ?? [])].sort(),
    cpu: td.cpu === undefined ? undefined : String(td.cpu),
    memory: td.memory === undefined ? undefined : String(td.memory),
    ...(rp ? { runtimePlatform: { operatingSystemFamily: rp.operatingSystemFamily, cpuArchitecture: rp.cpuArchitecture } } : {}),
    // ECS leaves ephemeralStorage out, or reports the 20 GiB default, when none was asked for.
    ...(td.ephemeralStorage?.sizeInGiB !== undefined && td.ephemeralStorage.sizeInGiB > 20
      ? { ephemeralStorage: td.ephemeralStorage.sizeInGiB }
      : {}),
    executionRoleArn: td.executionRoleArn,
    taskRoleArn: td.taskRoleArn,
    containers,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields that differ, named for people: 'cpu', 'containerDefinitions[web].image', 'environment.FOO'. */
export function diffTaskDefinitions(actual: NormalizedTaskDefinition, wanted: NormalizedTaskDefinition): Change[] {
  const changes: Change[] = [];
  const top = [
    'networkMode',
    'requiresCompatibilities',
    'cpu',
    'memory',
    'runtimePlatform',
    'ephemeralStorage',
    'executionRoleArn',
    'taskRoleArn',
  ] as const;
  for (const field of top) {
    if (same(actual[field], wanted[field])) continue;
    // Name the part of the platform that changed, so an architecture switch reads as one.
    if (field === 'runtimePlatform' && actual.runtimePlatform && wanted.runtimePlatform) {
      for (const key of ['operatingSystemFamily', 'cpuArchitecture'] as const) {
        const before = actual.runtimePlatform[key];
        const after = wanted.runtimePlatform[key];
        if (before !== after) changes.push({ field: `runtimePlatform.${key}`, before, after });
      }
      continue;
    }
    changes.push({ field, before: actual[field], after: wanted[field] });
  }
  const names = [...new Set([...Object.keys(actual.containers), ...Object.keys(wanted.containers)])].sort();
  for (const name of names) {
    const a = actual.containers[name];
    const w = wanted.containers[name];
    if (!a || !w) {
      changes.push({ field: `containerDefinitions[${name}]`, before: a ? name : undefined, after: w ? name : undefined });
      continue;
    }
    for (const field of [
      'image',
      'essential',
      'portMappings',
      'command',
      'logConfiguration',
      'healthCheck',
      'stopTimeout',
      'initProcessEnabled',
    ] as const) {
      if (!same(a[field], w[field])) changes.push({ field: `containerDefinitions[${name}].${field}`, before: a[field], after: w[field] });
    }
    // valueFrom is where a secret lives (an ARN), never the value, so it may be shown.
    for (const key of [...new Set([...Object.keys(a.secrets ?? {}), ...Object.keys(w.secrets ?? {})])].sort()) {
      if (a.secrets?.[key] !== w.secrets?.[key])
        changes.push({ field: `secrets.${key}`, before: a.secrets?.[key], after: w.secrets?.[key] });
    }
    // Names only: values may be sensitive, so they never reach the plan output.
    for (const key of [...new Set([...Object.keys(a.environment), ...Object.keys(w.environment)])].sort()) {
      if (a.environment[key] !== w.environment[key]) {
        changes.push({
          field: `environment.${key}`,
          before: key in a.environment ? '(changed)' : undefined,
          after: key in w.environment ? '(changed)' : undefined,
        });
      }
    }
  }
  return changes;
}

async function describeLatest(ctx: Ctx, taskDefinition: string): Promise<DescribeTaskDefinitionResponse | undefined> {
  try {
    const out = await ctx.aws.ecs().send(new DescribeTaskDefinitionCommand({ taskDefinition, include: ['TAGS'] }));
    return out.taskDefinition && out.taskDefinition.status !== 'DELETE_IN_PROGRESS' ? out : undefined;
  } catch (err) {
    // ECS has no NotFound error here: a missing family or revision is a ClientException.
    if (isAwsError(err, 'ClientException') && messageIncludes(err, 'unable to describe task definition')) return undefined;
    throw err;
  }
}

function render(ctx: Ctx): RegisterTaskDefinitionCommandInput {
  const svc = ctx.scope!;
  const service = ctx.service;
  if (!service) throw new EcsKitError('task-definition.no-service', `Service ${svc} is not in the config.`);
  const executionRole = ctx.dep(executionRoleStep);
  const taskRole = ctx.dep(taskRoleStep, svc);
  const logs = ctx.dep(logsStep, svc);
  const image = buildsImage(service) ? ctx.dep(imageStep, svc).imageUri : service.image!;
  return renderTaskDefinition({
    family: ctx.names.taskFamily(svc),
    container: svc,
    service,
    image,
    executionRoleArn: executionRole.roleArn,
    taskRoleArn: taskRole.roleArn,
    logGroup: logs.logGroupName,
    ...(hasSecrets(service) ? { secrets: ctx.dep(secretsStep, svc).secrets } : {}),
    ...(service.queue ? { queue: queueUrls(ctx.dep(queueStep, svc)) } : {}),
    region: ctx.region,
    owner: ctx.owner,
  });
}

function queueUrls(q: QueueState): { url: string; deadLetterUrl: string } {
  return { url: q.queueUrl, deadLetterUrl: q.deadLetterQueueUrl };
}

function stateOf(td: TaskDefinition, family: string): TaskDefinitionState {
  return { family: td.family ?? family, taskDefinitionArn: td.taskDefinitionArn ?? '', revision: td.revision ?? 0 };
}

/** Family of a task definition ARN: arn:…:task-definition/<family>:<revision>. */
function familyOfArn(arn: string): string {
  return arn.slice(arn.indexOf('task-definition/') + 'task-definition/'.length, arn.lastIndexOf(':'));
}

function revisionOfArn(arn: string): number {
  return Number(arn.slice(arn.lastIndexOf(':') + 1)) || 0;
}

async function listRevisions(ctx: Ctx, family: string, status: 'ACTIVE' | 'INACTIVE'): Promise<string[]> {
  const arns: string[] = [];
  // familyPrefix matches "shop-default-web" and "shop-default-web2" alike; keep the exact family.
  for await (const page of paginateListTaskDefinitions({ client: ctx.aws.ecs() }, { familyPrefix: family, status })) {
    for (const arn of page.taskDefinitionArns ?? []) if (familyOfArn(arn) === family) arns.push(arn);
  }
  return arns;
}

function isUnsupported(err: unknown): boolean {
  return (
    isAwsError(
      err,
      'UnknownOperationException',
      'InvalidAction',
      'UnsupportedOperationException',
      'UnsupportedFeatureException',
      'NotImplemented',
    ) ||
    messageIncludes(err, 'not supported') ||
    messageIncludes(err, 'not implemented')
  );
}

export const taskDefinitionStep: StepModule<TaskDefinitionState, never> = {
  kind: 'task-definition',
  title: (scope) => `Task definition (${scope})`,
  resourceKinds: ['ecs:task-definition'],
  permissions: taskDefinitionPermissions,
  instances: (config) =>
    Object.entries(config.services).map(([scope, svc]) => ({
      scope,
      dependsOn: [
        after(executionRoleStep),
        after(taskRoleStep, scope),
        after(logsStep, scope),
        ...(buildsImage(svc) ? [after(imageStep, scope)] : []),
        ...(hasSecrets(svc) ? [after(secretsStep, scope)] : []),
        ...(svc.queue ? [after(queueStep, scope)] : []),
      ],
    })),

  async plan(ctx): Promise<StepPlan<TaskDefinitionState, never>> {
    const family = ctx.names.taskFamily(ctx.scope!);
    const wanted = render(ctx);
    const latest = await describeLatest(ctx, family);
    if (!latest?.taskDefinition) return { action: 'create', changes: [{ field: 'family', after: family }] };
    if (!isOwnedBy(latest.tags, ctx.owner)) {
      throw new EcsKitError(
        'task-definition.not-owned',
        `A task definition family named ${family} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`,
        {
          why: 'ecs-kit only manages resources it created, so it will not add revisions to this family.',
          fix: 'Choose another app name or --env, or deregister and delete that task definition yourself.',
        },
      );
    }
    const current = stateOf(latest.taskDefinition, family);
    const changes = diffTaskDefinitions(normalizeTaskDefinition(latest.taskDefinition), normalizeTaskDefinition(wanted));
    // A changed definition is a new revision with a new ARN: the service will follow it.
    return { action: changes.length ? 'update' : 'noop', changes, current, ...(changes.length ? { outputsChange: true } : {}) };
  },

  async apply(ctx): Promise<TaskDefinitionState> {
    const input = render(ctx);
    // No idempotency token: a retry after a lost response would add a second revision, so
    // an unknown outcome adopts the latest revision when it is exactly the wanted one.
    const td = await createOnce({
      create: async () => {
        const out = await ctx.aws.once.ecs().send(new RegisterTaskDefinitionCommand(input));
        if (!out.taskDefinition)
          throw new EcsKitError('task-definition.register', `ECS registered ${input.family} but returned no task definition.`);
        return out.taskDefinition;
      },
      find: async () => {
        const latest = await describeLatest(ctx, input.family!);
        if (!latest?.taskDefinition || !isOwnedBy(latest.tags, ctx.owner)) return undefined;
        return diffTaskDefinitions(normalizeTaskDefinition(latest.taskDefinition), normalizeTaskDefinition(input)).length
          ? undefined
          : latest.taskDefinition;
      },
      ...onceOptions(ctx),
    });
    ctx.progress(`registered ${input.family}:${td.revision}`);
    return stateOf(td, input.family!);
  },

  async destroy(ctx, state): Promise<void> {
    const family = state.family;
    const active = await listRevisions(ctx, family, 'ACTIVE');
    const inactive = await listRevisions(ctx, family, 'INACTIVE');
    const all = [...active, ...inactive].sort((a, b) => revisionOfArn(b) - revisionOfArn(a));
    if (all.length === 0) return;

    // Tags live on each revision; the newest one that still describes speaks for the family.
    let owned: boolean | undefined;
    for (const arn of all) {
      const out = await describeLatest(ctx, arn);
      if (out) {
        owned = isOwnedBy(out.tags, ctx.owner);
        break;
      }
    }
    if (owned === undefined) return;
    if (!owned) {
      warnLeftInPlace(ctx, `task definition family ${family}`);
      return;
    }

    const ecs = ctx.aws.ecs();
    for (const arn of active) {
      try {
        await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
      } catch (err) {
        if (!(isAwsError(err, 'ClientException') && (messageIncludes(err, 'inactive') || messageIncludes(err, 'unable to describe'))))
          throw err;
      }
    }
    // Deregistered revisions stay listed as INACTIVE until deleted; delete them too, ≤10 per call.
    for (let i = 0; i < all.length; i += 10) {
      try {
        const out = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: all.slice(i, i + 10) }));
        const failures = (out.failures ?? []).filter(
          (f) => !/missing|not ?found|does not exist/i.test(`${f.reason ?? ''} ${f.detail ?? ''}`),
        );
        if (failures.length) {
          const why = failures[0]!.reason ?? 'unknown reason';
          const message = `Could not delete ${failures.length} revision(s) of ${family}: ${why}. They are deregistered and cost nothing.`;
          ctx.warn('task-definition.revisions-kept', message);
        }
      } catch (err) {
        if (!isUnsupported(err)) throw err;
        ctx.warn(
          'task-definition.revisions-kept',
          `Deregistered ${family}, but this region does not support deleting task definitions; the INACTIVE revisions remain (they cost nothing).`,
        );
        return;
      }
    }
  },
};
