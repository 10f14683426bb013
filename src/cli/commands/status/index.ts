import { DescribeServicesCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import type { DeploymentInfo, Reporter, ServiceStatusInfo, TargetHealthInfo } from '../../../engine/events.js';
import { rollbackTarget } from '../../../engine/history.js';
import { ExitCode } from '../../../errors.js';
import { revisionName } from '../../../rollout/diagnosis.js';
import { openDay2, pickServices, serviceLocation, type Day2Run } from '../../day2-context.js';
import { internalUrl, jobStatus, queueStatus } from './workloads.js';
import type { GlobalOptions, Io } from '../../options.js';

export interface StatusOptions extends GlobalOptions {
  service?: string;
}

const EVENTS_SHOWN = 3;

/** `ecs-kit status [service]`: what is running now, read-only and without the lock. */
export async function runStatus(opts: StatusOptions, io: Io, reporter: Reporter): Promise<number> {
  const run = await openDay2(opts, io, reporter, { check: (local) => void pickServices(local, opts.service, 'status') });
  try {
    const services = pickServices(run, opts.service, 'status');
    const infos = await collectStatus(run, services);
    reporter.emit({ type: 'status', app: run.config.app, env: opts.env, services: infos });
    return ExitCode.Ok;
  } finally {
    await run.close();
  }
}

async function collectStatus(
  run: Pick<Day2Run, 'aws' | 'manifest' | 'names' | 'config'>,
  services: string[],
): Promise<ServiceStatusInfo[]> {
  const located = services.map((name) => ({ name, ...serviceLocation(run, name) }));
  const isJob = (name: string) => run.config.services[name]?.schedule !== undefined;
  const found = await describeServices(
    run,
    located.filter((l) => !isJob(l.name)),
  );
  const infos: ServiceStatusInfo[] = [];
  for (const l of located) {
    if (isJob(l.name)) {
      infos.push(await jobStatus(run, l.name, l.cluster));
      continue;
    }
    const s = found.get(`${l.cluster}/${l.serviceName}`);
    const info: ServiceStatusInfo = s
      ? await serviceStatus(run, l, s)
      : { service: l.name, cluster: l.cluster, exists: false, deployments: [], targets: [], events: [] };
    const svc = run.config.services[l.name];
    const internal = internalUrl(l.name, svc);
    if (internal) info.internalUrl = internal;
    const queue = svc?.queue ? await queueStatus(run, l.name) : undefined;
    if (queue) info.queue = queue;
    infos.push(info);
  }
  return infos;
}

type Located = ReturnType<typeof serviceLocation> & { name: string };

/** The services that exist (not INACTIVE), by "cluster/serviceName"; a missing cluster means none of its services exist. */
async function describeServices(run: Pick<Day2Run, 'aws'>, located: Located[]): Promise<Map<string, Service>> {
  const found = new Map<string, Service>();
  // DescribeServices takes up to 10 services of one cluster per call.
  const byCluster = new Map<string, Located[]>();
  for (const l of located) byCluster.set(l.cluster, [...(byCluster.get(l.cluster) ?? []), l]);
  for (const [cluster, list] of byCluster) {
    for (let i = 0; i < list.length; i += 10) {
      const chunk = list.slice(i, i + 10);
      try {
        const out = await run.aws.ecs().send(new DescribeServicesCommand({ cluster, services: chunk.map((c) => c.serviceName) }));
        for (const s of out.services ?? []) if (s.serviceName && s.status !== 'INACTIVE') found.set(`${cluster}/${s.serviceName}`, s);
      } catch (err) {
        if (isAwsError(err, 'ClusterNotFoundException')) continue;
        throw explainAwsError(err, `reading the ECS services in cluster ${cluster}`);
      }
    }
  }
  return found;
}

async function serviceStatus(run: Pick<Day2Run, 'aws' | 'manifest'>, l: Located, s: Service): Promise<ServiceStatusInfo> {
  // While a rollout runs, the old revision is the other deployment; afterwards, the deploy history knows it.
  const older = (s.deployments ?? []).find(
    (d) => d.status !== 'PRIMARY' && d.taskDefinition && d.taskDefinition !== s.taskDefinition,
  )?.taskDefinition;
  const previous = older ?? rollbackTarget(run.manifest, l.name, s.taskDefinition)?.taskDefinitionArn;
  const events = [...(s.events ?? [])]
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
    .slice(0, EVENTS_SHOWN)
    .reverse()
    .map((e) => `${e.createdAt ? `${e.createdAt.toISOString()} ` : ''}${e.message ?? ''}`);
  return {
    service: l.name,
    cluster: l.cluster,
    exists: true,
    status: s.status,
    desired: s.desiredCount ?? 0,
    running: s.runningCount ?? 0,
    pending: s.pendingCount ?? 0,
    taskDefinition: revisionName(s.taskDefinition),
    ...(previous ? { previousTaskDefinition: revisionName(previous) } : {}),
    deployments: (s.deployments ?? []).map(deploymentInfo),
    targets: await targetHealth(run, s),
    events,
    ...(l.url ? { url: l.url } : {}),
  };
}

function deploymentInfo(d: Deployment): DeploymentInfo {
  return {
    id: d.id ?? '',
    status: d.status ?? 'UNKNOWN',
    taskDefinition: revisionName(d.taskDefinition),
    desired: d.desiredCount ?? 0,
    running: d.runningCount ?? 0,
    pending: d.pendingCount ?? 0,
    failed: d.failedTasks ?? 0,
    ...(d.rolloutState ? { rolloutState: d.rolloutState } : {}),
    ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
    ...(d.createdAt ? { createdAt: d.createdAt.toISOString() } : {}),
  };
}

async function targetHealth(run: Pick<Day2Run, 'aws'>, service: Service): Promise<TargetHealthInfo[]> {
  const out: TargetHealthInfo[] = [];
  for (const lb of service.loadBalancers ?? []) {
    if (!lb.targetGroupArn) continue;
    const tgName = lb.targetGroupArn.split('/')[1] ?? lb.targetGroupArn;
    try {
      const res = await run.aws.elbv2().send(new DescribeTargetHealthCommand({ TargetGroupArn: lb.targetGroupArn }));
      for (const t of res.TargetHealthDescriptions ?? []) {
        out.push({
          targetGroup: tgName,
          id: t.Target?.Id ?? '?',
          ...(t.Target?.Port !== undefined ? { port: t.Target.Port } : {}),
          state: t.TargetHealth?.State ?? 'unknown',
          ...(t.TargetHealth?.Reason ? { reason: t.TargetHealth.Reason } : {}),
          ...(t.TargetHealth?.Description ? { description: t.TargetHealth.Description } : {}),
        });
      }
    } catch (err) {
      if (isAwsError(err, 'TargetGroupNotFoundException')) continue;
      throw explainAwsError(err, `reading the health of target group ${tgName}`);
    }
  }
  return out;
}
