import type * as LogsSdk from '@aws-sdk/client-cloudwatch-logs';
import type { ContainerDefinition, Task } from '@aws-sdk/client-ecs';
import type * as EcsSdk from '@aws-sdk/client-ecs';
import type * as ElbSdk from '@aws-sdk/client-elastic-load-balancing-v2';
import { errorName, isAwsError } from '../aws/errors.js';
import type { AwsClients } from '../aws/clients.js';
import type { RolloutDiagnosis, StoppedContainerInfo, StoppedTaskInfo, TargetHealthInfo } from '../engine/events.js';

// The reporters word the diagnosis (src/ui/diagnosis.ts); loading the SDK only when diagnosing keeps
// commands that never diagnose (init, --help) from paying for three clients at startup.
let sdkLoad: Promise<{ ecs: typeof EcsSdk; logs: typeof LogsSdk; elbv2: typeof ElbSdk }> | undefined;
function sdk() {
  sdkLoad ??= Promise.all([
    import('@aws-sdk/client-ecs'),
    import('@aws-sdk/client-cloudwatch-logs'),
    import('@aws-sdk/client-elastic-load-balancing-v2'),
  ]).then(([ecs, logs, elbv2]) => ({
    ecs,
    logs,
    elbv2,
  }));
  return sdkLoad;
}

/** How many stopped tasks are examined in detail (each costs a few log reads). */
export const DIAGNOSE_TASKS = 3;
/** Log lines shown per container. */
export const LOG_LINES = 20;
const MAX_LINE = 300;
const MAX_TARGETS = 10;

/** "arn:…:task-definition/shop-default-web:7" → "shop-default-web:7". */
export function revisionName(arn: string | undefined): string {
  if (!arn) return 'an unknown revision';
  const i = arn.lastIndexOf('/');
  return i >= 0 ? arn.slice(i + 1) : arn;
}

/** The last path segment of a task ARN is its id (what log streams and the console use). */
export function taskId(arn: string | undefined): string {
  if (!arn) return 'unknown';
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export function consoleUrl(region: string, cluster: string, service: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/ecs/v2/clusters/${encodeURIComponent(cluster)}/services/${encodeURIComponent(service)}/deployments?region=${r}`;
}

/** Plain English for a container's exit code, when it is a common one. */
export function explainExitCode(code: number | undefined, reason?: string): string | undefined {
  if (reason && /OutOfMemory/i.test(reason)) {
    return 'the container ran out of memory and was killed; raise `memory` for this service in ecs-kit.yml (or make the app use less).';
  }
  switch (code) {
    case undefined:
      return undefined;
    case 0:
      return "the process finished normally (exit 0), but a service's essential container must keep running: check the command starts a long-running server, not a one-off script.";
    case 1:
      return 'the app exited with an error (exit 1); its last log lines below usually say why (a missing environment variable, a failed database connection, a crash on start).';
    case 126:
      return 'the command could not be executed (exit 126): it is not executable or permission was denied inside the image.';
    case 127:
      return 'the command was not found (exit 127): check the image entrypoint/command and that the binary exists in the image.';
    case 134:
      return 'the process aborted (SIGABRT, exit 134), e.g. a failed assertion or a runtime crash; see the log lines.';
    case 137:
      return 'killed with SIGKILL (exit 137): most often out of memory — raise `memory` in ecs-kit.yml; ECS also sends SIGKILL when a container does not stop within 30s of SIGTERM.';
    case 139:
      return 'segmentation fault (SIGSEGV, exit 139): the process crashed in native code, often a library built for another CPU architecture or libc.';
    case 143:
      return 'stopped with SIGTERM (exit 143): ECS asked the container to stop (a failed health check, scale-in or deployment), so look at why the task was stopped.';
    default:
      return code > 128 && code < 160 ? `killed by signal ${code - 128} (exit ${code}).` : undefined;
  }
}

/** Plain English for a task's stoppedReason / a container's reason. */
export function explainStopReason(text: string | undefined, stopCode?: string): string | undefined {
  if (!text) return stopCode === 'SpotInterruption' ? 'Fargate Spot took the capacity back; ECS starts a replacement.' : undefined;
  if (/CannotPullContainerError/i.test(text)) {
    // Docker Hub's anonymous pull limit counts per source IP, and every task behind one NAT gateway shares it
    // ("toomanyrequests: You have reached your pull rate limit", docker/hub-feedback#2429).
    if (/toomanyrequests|too many requests|pull rate limit/i.test(text)) {
      return (
        'ECS could not pull the image: Docker Hub limits anonymous pulls per IP address (tasks behind one NAT gateway or public IP share it). ' +
        'Use the same image from Amazon ECR Public (official images are at public.ecr.aws/docker/library/<name>:<tag>), ' +
        'an ECR pull-through cache rule for Docker Hub, or build the service so ecs-kit pushes it to your own ECR repository.'
      );
    }
    if (/not found|manifest unknown|does not exist|repository .* not found/i.test(text)) {
      return 'ECS could not pull the image: that image name or tag does not exist in the registry. Check `image` in ecs-kit.yml (or that the build pushed it).';
    }
    if (/denied|unauthorized|403|AccessDenied|not authorized/i.test(text)) {
      return 'ECS could not pull the image: access was denied. A private registry needs credentials; for ECR the execution role needs ecr:GetAuthorizationToken and ecr:BatchGetImage.';
    }
    if (/timeout|i\/o timeout|dial tcp|context deadline|network|connection/i.test(text)) {
      return 'ECS could not reach the registry: the task has no route to it. Tasks in a public subnet need a public IP; tasks in a private subnet need a NAT gateway (or VPC endpoints for ECR and S3).';
    }
    return 'ECS could not pull the image: check the image name and tag, that the execution role may read the registry, and that the task can reach it (a public IP, or a NAT gateway in a private subnet).';
  }
  if (/ResourceInitializationError/i.test(text)) {
    if (/secret|ssm|parameter|kms/i.test(text)) {
      return 'ECS could not fetch a secret for the container: the secret or parameter may not exist (check its name/ARN and region), or the execution role lacks secretsmanager:GetSecretValue / ssm:GetParameters (and kms:Decrypt for a customer key), or the task cannot reach those APIs.';
    }
    if (/log/i.test(text)) {
      return 'ECS could not set up logging: the log group may not exist or the execution role may not write to it.';
    }
    return 'ECS could not prepare the task (image, secrets or logs): usually the task has no route to AWS APIs — give it a public IP in a public subnet, or a NAT gateway in a private one.';
  }
  if (/CannotStartContainerError/i.test(text)) {
    if (/exec format error/i.test(text)) {
      return 'the image was built for another CPU architecture than the task runs on: set `cpuArchitecture` (x86_64 or arm64) for this service in ecs-kit.yml to match the image, or build the image for that platform.';
    }
    return 'the container could not start: usually the entrypoint/command does not exist in the image.';
  }
  if (/OutOfMemory/i.test(text)) return 'the task ran out of memory; raise `memory` for this service in ecs-kit.yml.';
  if (/failed ELB health checks/i.test(text)) {
    return 'the load balancer health check kept failing, so ECS replaced the task: make the app listen on 0.0.0.0 at the configured port, answer the health check path with 200-399, and start within the grace period.';
  }
  if (/failed container health checks/i.test(text)) return "the container's own HEALTHCHECK kept failing; check the command it runs.";
  if (/Essential container in task exited/i.test(text) || stopCode === 'EssentialContainerExited') {
    return 'an essential container stopped, so ECS stopped the whole task; the exit code and log lines below say why.';
  }
  if (stopCode === 'TaskFailedToStart') return 'the task never started.';
  return undefined;
}

export function explainTargetHealth(reason: string | undefined): string | undefined {
  switch (reason) {
    case 'Target.ResponseCodeMismatch':
      return 'the health check path answered with a status outside 200-399 (often 404: the path does not exist); set `healthCheck.path` to a URL the app serves.';
    case 'Target.Timeout':
      return 'the health check got no answer in time: the app may not listen on that port or on 0.0.0.0, may be too slow to start, or its security group blocks the load balancer.';
    case 'Target.FailedHealthChecks':
      return 'the load balancer could not connect to the container: check the app listens on 0.0.0.0 at the configured port.';
    case 'Elb.InitialHealthChecking':
      return 'the target is still being checked for the first time.';
    default:
      return undefined;
  }
}

export interface DiagnoseInput {
  cluster: string;
  service: string;
  region: string;
  /** The revision that was being deployed. */
  taskDefinitionArn: string;
  verdict: RolloutDiagnosis['verdict'];
  summary: string;
  rolledBackTo?: string;
  rolledBackBy?: 'ecs' | 'ecs-kit';
  counts: RolloutDiagnosis['counts'];
  /** Stopped tasks of the new revision, newest first (possibly not yet fully STOPPED). */
  stoppedTaskArns: string[];
  targetGroupArns: string[];
  events: string[];
}

interface DiagnoseContext {
  aws: AwsClients;
}

function shortError(err: unknown): string {
  const name = errorName(err);
  const message = err instanceof Error ? err.message : String(err);
  return name && !message.startsWith(name) ? `${name}: ${message}` : message;
}

function clip(line: string): string {
  const l = line.replace(/\s+$/, '');
  return l.length > MAX_LINE ? `${l.slice(0, MAX_LINE - 1)}…` : l;
}

/**
 * Assemble why a rollout did not complete: stopped tasks with their containers' exit codes
 * and last log lines, unhealthy load balancer targets, recent events and a console link.
 * Best effort: every read that fails becomes a note, so a missing permission never hides the verdict.
 */
export async function diagnose(ctx: DiagnoseContext, input: DiagnoseInput): Promise<RolloutDiagnosis> {
  const notes: string[] = [];
  const [stoppedTasks, targets] = await Promise.all([
    stoppedTaskDetails(ctx, input, notes),
    unhealthyTargets(ctx, input.targetGroupArns, notes),
  ]);
  return {
    service: input.service,
    cluster: input.cluster,
    verdict: input.verdict,
    summary: input.summary,
    taskDefinition: revisionName(input.taskDefinitionArn),
    ...(input.rolledBackTo ? { rolledBackTo: revisionName(input.rolledBackTo) } : {}),
    ...(input.rolledBackBy ? { rolledBackBy: input.rolledBackBy } : {}),
    counts: input.counts,
    stoppedTotal: input.stoppedTaskArns.length,
    stoppedTasks,
    targets,
    events: input.events,
    consoleUrl: consoleUrl(input.region, input.cluster, input.service),
    notes,
  };
}

async function stoppedTaskDetails(ctx: DiagnoseContext, input: DiagnoseInput, notes: string[]): Promise<StoppedTaskInfo[]> {
  const arns = input.stoppedTaskArns.slice(0, DIAGNOSE_TASKS);
  if (arns.length === 0) return [];
  let tasks: Task[];
  try {
    // Read again: the exit codes are only final once the task has fully stopped.
    const { DescribeTasksCommand } = (await sdk()).ecs;
    const out = await ctx.aws.ecs().send(new DescribeTasksCommand({ cluster: input.cluster, tasks: arns }));
    tasks = out.tasks ?? [];
  } catch (err) {
    notes.push(`could not read the stopped tasks (${shortError(err)})`);
    return [];
  }
  const { DescribeTaskDefinitionCommand } = (await sdk()).ecs;
  const definitions = new Map<string, Promise<ContainerDefinition[] | undefined>>();
  const containersOf = (arn: string) => {
    let p = definitions.get(arn);
    if (!p) {
      p = ctx.aws
        .ecs()
        .send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))
        .then((o) => o.taskDefinition?.containerDefinitions)
        .catch((err: unknown) => {
          notes.push(`could not read task definition ${revisionName(arn)} to find its log streams (${shortError(err)})`);
          return undefined;
        });
      definitions.set(arn, p);
    }
    return p;
  };
  const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
  const ordered = arns.map((a) => byArn.get(a)).filter((t): t is Task => t !== undefined);
  return Promise.all(
    ordered.map((t) => taskInfo(ctx, t, t.taskDefinitionArn ? containersOf(t.taskDefinitionArn) : Promise.resolve(undefined))),
  );
}

async function taskInfo(ctx: DiagnoseContext, task: Task, defsP: Promise<ContainerDefinition[] | undefined>): Promise<StoppedTaskInfo> {
  const id = taskId(task.taskArn);
  const defs = await defsP;
  const containers = await Promise.all(
    (task.containers ?? []).map(async (c): Promise<StoppedContainerInfo> => {
      const name = c.name ?? 'container';
      const explanation = explainExitCode(c.exitCode, c.reason) ?? explainStopReason(c.reason);
      const info: StoppedContainerInfo = {
        name,
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
        ...(c.reason ? { reason: c.reason } : {}),
        ...(explanation ? { explanation } : {}),
        logs: [],
      };
      await readLogs(
        ctx,
        info,
        id,
        defs?.find((d) => d.name === name),
      );
      return info;
    }),
  );
  const explanation = explainStopReason(task.stoppedReason, task.stopCode);
  return {
    taskId: id,
    taskDefinition: revisionName(task.taskDefinitionArn),
    ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    ...(explanation ? { explanation } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.toISOString() } : {}),
    containers,
  };
}

async function readLogs(ctx: DiagnoseContext, info: StoppedContainerInfo, id: string, def: ContainerDefinition | undefined): Promise<void> {
  const log = def?.logConfiguration;
  if (!def) {
    info.logsNote = 'its task definition could not be read, so its log stream is unknown';
    return;
  }
  if (!log || log.logDriver !== 'awslogs') {
    info.logsNote = log ? `it logs with ${log.logDriver}, not CloudWatch Logs` : 'it has no log configuration';
    return;
  }
  const group = log.options?.['awslogs-group'];
  const prefix = log.options?.['awslogs-stream-prefix'];
  if (!group || !prefix) {
    info.logsNote = 'its awslogs settings name no group or stream prefix, so its stream cannot be found';
    return;
  }
  // The awslogs driver names streams <prefix>/<container>/<task id>.
  const stream = `${prefix}/${info.name}/${id}`;
  info.logStream = `${group} ${stream}`;
  try {
    const { GetLogEventsCommand } = (await sdk()).logs;
    const out = await ctx.aws
      .logs()
      .send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit: LOG_LINES, startFromHead: false }));
    info.logs = (out.events ?? [])
      .flatMap((e) => (e.message ?? '').split('\n'))
      .filter((l) => l.trim() !== '')
      .slice(-LOG_LINES)
      .map(clip);
    if (info.logs.length === 0) info.logsNote = 'no logs were written (the stream is empty)';
  } catch (err) {
    info.logsNote = isAwsError(err, 'ResourceNotFoundException')
      ? 'no logs were written (the container never started, or stopped before logging)'
      : `could not read its logs (${shortError(err)})`;
  }
}

async function unhealthyTargets(ctx: DiagnoseContext, targetGroupArns: string[], notes: string[]): Promise<TargetHealthInfo[]> {
  if (targetGroupArns.length === 0) return [];
  const { DescribeTargetHealthCommand } = (await sdk()).elbv2;
  const all = await Promise.all(
    targetGroupArns.map(async (arn) => {
      const name = arn.split('/')[1] ?? arn;
      try {
        const out = await ctx.aws.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
        return (
          (out.TargetHealthDescriptions ?? [])
            // Draining targets are old tasks leaving as planned; healthy ones need no explaining.
            .filter((t) => t.TargetHealth?.State !== 'healthy' && t.TargetHealth?.State !== 'draining')
            .map((t): TargetHealthInfo => {
              const explanation = explainTargetHealth(t.TargetHealth?.Reason);
              return {
                targetGroup: name,
                id: t.Target?.Id ?? 'unknown',
                ...(t.Target?.Port !== undefined ? { port: t.Target.Port } : {}),
                state: t.TargetHealth?.State ?? 'unknown',
                ...(t.TargetHealth?.Reason ? { reason: t.TargetHealth.Reason } : {}),
                ...(t.TargetHealth?.Description ? { description: t.TargetHealth.Description } : {}),
                ...(explanation ? { explanation } : {}),
              };
            })
        );
      } catch (err) {
        notes.push(`could not read the health of target group ${name} (${shortError(err)})`);
        return [];
      }
    }),
  );
  return all.flat().slice(0, MAX_TARGETS);
}
