import { createHash } from 'node:crypto';

/**
 * Every AWS name ecs-kit uses, derived from app/env/service in one place so that
 * deploy, teardown and tests agree. Names that AWS caps (ALB and target group: 32
 * characters) are shortened with a stable hash suffix rather than truncated blindly.
 * test/unit/config/aws-names.test.ts checks every name against AWS's documented rules.
 */
export function shorten(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, max - 7).replace(/-+$/, '')}-${hash}`;
}

function hash6(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 6);
}

/**
 * Prefixed to a name only when AWS reserves how it would otherwise begin, so no app that
 * works today is renamed (only apps named internal…/sg… get it, and AWS refused those).
 */
const SAFE_PREFIX = 'ecs-kit-';

/**
 * CreateLoadBalancer Name: "must not begin with "internal-"" (ELBv2 API reference,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
 */
function loadBalancerName(prefix: string): string {
  return shorten(/^internal-/i.test(prefix) ? `${SAFE_PREFIX}${prefix}` : prefix, 32);
}

/**
 * CreateSecurityGroup GroupName: "Up to 255 characters in length. Can't start with sg-"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
 */
function securityGroupName(name: string): string {
  return /^sg-/i.test(name) ? `${SAFE_PREFIX}${name}` : name;
}

/** Service names that would collide with ecs-kit's own security groups (<prefix>-lb, <prefix>-instances). */
export const RESERVED_SERVICE_NAMES = { lb: 'the load balancer', instances: 'the EC2 container instances' } as const;

export interface Names {
  prefix: string;
  cluster: string;
  executionRole: string;
  rolePath: string;
  taskRole(service: string): string;
  repository(service: string): string;
  logGroup(service: string): string;
  taskFamily(service: string): string;
  service(service: string): string;
  loadBalancer: string;
  lbSecurityGroup: string;
  serviceSecurityGroup(service: string): string;
  targetGroup(service: string): string;
  scalingPolicy(service: string): string;
  /** Application Auto Scaling policies beside CPU: memory, requests, backlog. */
  scalingPolicyFor(service: string, metric: 'cpu' | 'memory' | 'requests' | 'backlog'): string;
  /** The CloudWatch alarm that drives a queue worker's backlog scaling. */
  backlogAlarm(service: string): string;
  /** SQS: a queue worker's queue and its dead-letter queue (80 characters at most). */
  queue(service: string): string;
  deadLetterQueue(service: string): string;
  /** EventBridge Scheduler: the app/env's schedule group, a job's schedule in it, its role and its dead-letter queue. */
  scheduleGroup: string;
  schedule(service: string): string;
  /** A job's scheduler execution role: it may run only that job's task definition and pass only its two roles. */
  schedulerRole(job: string): string;
  schedulerDeadLetterQueue: string;
  /** Cloud Map namespace of the app/env's Service Connect. */
  namespace: string;
  /** The security group every task of the app's services is in; internal services admit it. */
  membersSecurityGroup: string;
  /** EC2 capacity: the container instances' role and instance profile (same name). */
  instanceRole: string;
  instanceProfile: string;
  instanceSecurityGroup: string;
  launchTemplate: string;
  autoScalingGroup: string;
  /** Safe rollouts: the second target group blue/green, linear and canary shift traffic to. */
  alternateTargetGroup(service: string): string;
  /** The ECS infrastructure role for load balancers (blue/green, linear, canary). */
  lbInfrastructureRole: string;
  /** ecs-kit's CloudWatch alarms a deployment rolls back on (`metric`: 5xx, unhealthy; `alternate` for the second group). */
  alarm(service: string, metric: string, alternate?: boolean): string;
}

export function namesFor(app: string, env: string): Names {
  const prefix = `${app}-${env}`;
  return {
    prefix,
    cluster: prefix,
    executionRole: shorten(`${prefix}-execution`, 64),
    rolePath: `/ecs-kit/${app}/${env}/`,
    taskRole: (s) => shorten(`${prefix}-${s}-task`, 64),
    repository: (s) => `${app}/${env}/${s}`,
    logGroup: (s) => `/ecs/${app}/${env}/${s}`,
    taskFamily: (s) => `${prefix}-${s}`,
    service: (s) => s,
    loadBalancer: loadBalancerName(prefix),
    lbSecurityGroup: securityGroupName(`${prefix}-lb`),
    serviceSecurityGroup: (s) => securityGroupName(`${prefix}-${s}`),
    targetGroup: (s) => shorten(`${prefix}-${s}`, 32),
    scalingPolicy: (s) => `${prefix}-${s}-cpu`,
    scalingPolicyFor: (s, metric) => `${prefix}-${s}-${metric}`,
    backlogAlarm: (s) => `${prefix}-${s}-backlog`,
    // SQS queue names: 1-80 letters, digits, hyphens and underscores (CreateQueue); at most 24+1+16+1+24+4 = 70 here.
    queue: (s) => `${prefix}-${s}`,
    deadLetterQueue: (s) => `${prefix}-${s}-dlq`,
    // Scheduler names: 1-64 of [0-9a-zA-Z-_.] (CreateSchedule, CreateScheduleGroup).
    scheduleGroup: prefix,
    schedule: (s) => s,
    schedulerRole: (s) => shorten(`${prefix}-${s}-scheduler`, 64),
    schedulerDeadLetterQueue: `${prefix}-schedules-dlq`,
    namespace: prefix,
    // A dot no service name can contain, so no service's own group (<prefix>-<service>) can take this name.
    membersSecurityGroup: securityGroupName(`${prefix}.services`),
    instanceRole: shorten(`${prefix}-ecs-instance`, 64),
    instanceProfile: shorten(`${prefix}-ecs-instance`, 128),
    instanceSecurityGroup: securityGroupName(`${prefix}-instances`),
    launchTemplate: `${prefix}-ecs`,
    autoScalingGroup: `${prefix}-ecs`,
    // Target group names refuse "--" (ELBv2 API, Name pattern (?!.*--)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$), so the alternate
    // gets a hash of its own: <prefix>-<service>-<6 hex>, which no service's own group name takes.
    alternateTargetGroup: (s) => `${`${prefix}-${s}`.slice(0, 32 - 7).replace(/-+$/, '')}-${hash6(`alternate:${prefix}-${s}`)}`,
    lbInfrastructureRole: shorten(`${prefix}-ecs-lb-infra`, 64),
    // PutMetricAlarm AlarmName: 1–255 characters (CloudWatch API reference).
    alarm: (s, metric, alternate) => `ecs-kit/${app}/${env}/${s}/${metric}${alternate ? '-alt' : ''}`,
  };
}
