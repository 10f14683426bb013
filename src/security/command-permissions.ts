import { parseEcrImage } from '../doctor/image.js';
import { ownParameters, secretMetadataReads } from '../steps/secrets/permissions.js';
import { hasScheduledJobs } from '../config/services.js';
import { ownQueueArns } from '../steps/queue/permissions.js';
import type { PolicyContext } from './policy-context.js';
import { shiftsTraffic } from '../steps/service/deployment-config.js';
import {
  ownEcs,
  ownLogGroups,
  ownServiceDeployments,
  readServiceLinkedRoles,
  unscoped,
  watchRollout,
  type Statement,
} from './statements.js';

/*
 * The statements that are no step's: who the caller is, and the day-2 commands. Each command declares what its own
 * calls need, even where a step needs the same (merging makes that free).
 */

/** The account of the credentials: the manifest's account check, `doctor`, `iam-policy` without --account. */
function identity(): Statement[] {
  return [unscoped(['sts:GetCallerIdentity'])];
}

/**
 * `run-task`: a one-off task from the service's task definition on its capacity (a scheduled job's: from its schedule's
 * target), followed to its end, with its logs.
 */
function runTask(ctx: PolicyContext): Statement[] {
  return [
    ownEcs(ctx, ['ecs:DescribeServices', 'ecs:RunTask', 'ecs:DescribeTasks']),
    unscoped(['ecs:DescribeTaskDefinition']),
    ownLogGroups(ctx, ['logs:FilterLogEvents', 'logs:GetLogEvents']),
    ...readSchedules(ctx),
  ];
}

/** The schedules of scheduled jobs (run-task runs what a schedule runs; status shows them). */
function readSchedules(ctx: PolicyContext): Statement[] {
  if (!hasScheduledJobs(ctx.config)) return [];
  return [
    {
      Sid: 'ReadSchedules',
      Effect: 'Allow',
      Action: ['scheduler:GetSchedule'],
      Resource: ctx.arn('scheduler', `schedule/${ctx.names.scheduleGroup}/*`),
    },
  ];
}

/** `exec`: a running task of a service with exec: true, entered through ECS ExecuteCommand (only configs that have one). */
function exec(ctx: PolicyContext): Statement[] {
  if (!Object.values(ctx.config.services).some((s) => s.exec)) return [];
  return [ownEcs(ctx, ['ecs:DescribeServices', 'ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:ExecuteCommand'])];
}

/** `logs`: a service's log group, filtered or followed. */
function logs(ctx: PolicyContext): Statement[] {
  return [ownEcs(ctx, ['ecs:DescribeServices']), ownLogGroups(ctx, ['logs:FilterLogEvents', 'logs:GetLogEvents'])];
}

/** `status`: each service's deployments and its targets' health; a job's schedule and last runs; a queue worker's queue depth. */
function status(ctx: PolicyContext): Statement[] {
  const services = Object.values(ctx.config.services);
  const jobs = hasScheduledJobs(ctx.config) ? [...readSchedules(ctx), ownEcs(ctx, ['ecs:DescribeTasks']), unscoped(['ecs:ListTasks'])] : [];
  const queues = services.some((svc) => svc.queue)
    ? [{ Sid: 'OwnQueues', Effect: 'Allow' as const, Action: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'], Resource: ownQueueArns(ctx) }]
    : [];
  return [ownEcs(ctx, ['ecs:DescribeServices']), unscoped(['elasticloadbalancing:DescribeTargetHealth']), ...jobs, ...queues];
}

/** `scale`: the desired count, and the autoscaling range of services that have one; then the rollout. */
function scale(ctx: PolicyContext): Statement[] {
  const scaled = Object.values(ctx.config.services).some((svc) => svc.autoscaling);
  const range = scaled
    ? [unscoped(['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:RegisterScalableTarget'])]
    : [];
  return [...watchRollout(ctx), ...range];
}

/** Acting on a blue/green, linear or canary rollout in flight (src/rollout/control.ts) and following it. */
function serviceDeploymentControl(ctx: PolicyContext): Statement[] {
  return [
    ...watchRollout(ctx),
    ownServiceDeployments(ctx, [
      'ecs:ListServiceDeployments',
      'ecs:DescribeServiceDeployments',
      'ecs:ContinueServiceDeployment',
      'ecs:StopServiceDeployment',
    ]),
  ];
}

/** `rollback`: back to the previous task definition revision, then the rollout; during a bake, the in-flight deployment rolls back. */
function rollback(ctx: PolicyContext): Statement[] {
  return [...watchRollout(ctx), ...(stagedServices(ctx) ? serviceDeploymentControl(ctx) : [])];
}

/** `continue` and `abort`: only configs with a blue/green, linear or canary service have rollouts to act on. */
function continueAndAbort(ctx: PolicyContext): Statement[] {
  return stagedServices(ctx) ? serviceDeploymentControl(ctx) : [];
}

const stagedServices = (ctx: PolicyContext) => Object.values(ctx.config.services).some(shiftsTraffic);

/** `secret set` writes a SecureString (with the service's KMS key, if it names one) and tags it; `secret list` reads the config. */
function secret(ctx: PolicyContext): Statement[] {
  const keys = [...new Set(Object.values(ctx.config.services).flatMap((svc) => (svc.kmsKeyArn ? [svc.kmsKeyArn] : [])))].sort();
  const encrypt: Statement[] = keys.length
    ? [{ Sid: 'EncryptOwnParameters', Effect: 'Allow', Action: ['kms:Encrypt'], Resource: keys }]
    : [];
  return [ownParameters(ctx, ['ssm:PutParameter', 'ssm:AddTagsToResource', 'ssm:ListTagsForResource']), ...encrypt];
}

/**
 * `doctor`: quota headroom, the region, the service-linked roles, the referenced secrets (metadata only), the
 * certificate, and the architectures of images in this account's ECR.
 */
function doctor(ctx: PolicyContext): Statement[] {
  const reads = unscoped([
    'ec2:DescribeRegions',
    'ec2:DescribeAccountAttributes',
    'ec2:DescribeAddresses',
    'ec2:DescribeVpcs',
    'ec2:DescribeAvailabilityZones',
    'ec2:DescribeSubnets',
    'elasticloadbalancing:DescribeAccountLimits',
    'elasticloadbalancing:DescribeLoadBalancers',
    'servicequotas:GetServiceQuota',
    'servicequotas:GetAWSDefaultServiceQuota',
  ]);
  const certificate = ctx.config.loadBalancer?.certificateArn;
  return [
    reads,
    readServiceLinkedRoles(ctx),
    ...secretMetadataReads(ctx),
    ...imageManifests(ctx),
    ...(certificate
      ? [{ Sid: 'DoctorCertificate', Effect: 'Allow' as const, Action: ['acm:DescribeCertificate'], Resource: certificate }]
      : []),
  ];
}

/** The repositories of the config's images that are in this account's and region's ECR. */
function imageManifests(ctx: PolicyContext): Statement[] {
  const images = Object.values(ctx.config.services).flatMap((svc) => (svc.image ? [parseEcrImage(svc.image)] : []));
  const own = images.filter((img) => img && img.account === ctx.account && img.region === ctx.region);
  const repos = [...new Set(own.map((img) => ctx.arn('ecr', `repository/${img!.repository}`)))];
  return repos.length ? [{ Sid: 'DoctorImageManifests', Effect: 'Allow', Action: ['ecr:BatchGetImage'], Resource: repos }] : [];
}

/** Identity and the day-2 commands, each named by the command. */
export function commandPermissions(ctx: PolicyContext): Statement[] {
  return [
    ...identity(),
    ...runTask(ctx),
    ...exec(ctx),
    ...logs(ctx),
    ...status(ctx),
    ...scale(ctx),
    ...rollback(ctx),
    ...continueAndAbort(ctx),
    ...secret(ctx),
    ...doctor(ctx),
  ];
}
