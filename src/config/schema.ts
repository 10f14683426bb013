import { isPublic } from './services.js';
import { z } from 'zod';
import { checkEc2Rules, checkNetworkRules } from './network-rules.js';
import { ENV_VAR_NAME_PROBLEM, isEnvVarName } from './env-vars.js';
import { BUILD_PLATFORMS } from './architecture.js';
import { FARGATE_CPUS, describeMemoryRange, fargateMemoriesFor, humanList } from './fargate.js';
import { RESERVED_SERVICE_NAMES } from './names.js';
import { checkSecurityRules } from '../security/rules.js';
import { kmsKeyArnField, loadBalancerField, secretsField, taskRoleField } from '../security/schema.js';
import { stateField } from './state.js';
import { checkDeploymentRules, deploymentField, execField } from '../steps/service/deployment-config.js';
import { checkWorkloadRules } from './workload-rules.js';
import {
  autoscalingSchema,
  ephemeralStorageField,
  healthCheckSchema,
  loadBalancerHealthCheckSchema,
  queueSchema,
  scheduleField,
  sidecarsSchema,
  stopTimeoutField,
  timezoneField,
} from './workloads.js';

/** CloudWatch Logs accepts only these retention values. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// Names end up in cluster, role, log group, ALB and target group names; the tightest
// limit (32 chars for ALB/TG names) is handled by shortening with a hash in names.ts.
const NAME_RE = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const nameField = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .min(2, `${what} must be at least 2 characters`)
    .max(max, `${what} must be at most ${max} characters`)
    .regex(NAME_RE, `${what} may contain only lowercase letters, digits and hyphens, start with a letter and not end with a hyphen`)
    .refine((v) => !v.includes('--'), `${what} must not contain "--"`);

export const appName = nameField('app name', 24);
export const envName = nameField('environment name', 16);
export const serviceName = nameField('service name', 24);

/** "<path>/*" must fit ELBv2's 128-character path-pattern values. */
export const MAX_ROUTED_PATH = 126;

const buildSchema = z.strictObject({
  context: z.string().min(1).default('.').describe('Docker build context, relative to this file.'),
  dockerfile: z
    .string()
    .min(1)
    .default('Dockerfile')
    .describe('The Dockerfile, relative to the build context; it must be inside the context.'),
  args: z
    .record(z.string(), z.string())
    .default({})
    .describe("docker build --build-arg values (part of the image's source digest; never put secrets here)."),
  /** docker build --platform; default: the one matching cpuArchitecture (linux/amd64 unless arm64). */
  platform: z
    .string()
    .optional()
    .describe('docker build --platform: linux/amd64 or linux/arm64; default: the one matching cpuArchitecture.'),
});

const portSchema = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

const capacityStrategyItem = z.strictObject({
  provider: z
    .enum(['FARGATE', 'FARGATE_SPOT'], { error: 'must be FARGATE or FARGATE_SPOT' })
    .describe('FARGATE (on demand) or FARGATE_SPOT (cheaper, may be stopped with a 2-minute warning).'),
  base: z
    .number()
    .int()
    .min(0)
    .max(100000)
    .optional()
    .describe('Tasks that always run on this provider before the weights apply (one provider at most).'),
  weight: z.number().int().min(0).max(1000).default(1).describe('Share of the tasks beyond the base that run on this provider.'),
});

export const serviceSchema = z.strictObject({
  image: z.string().min(1).optional().describe('An existing image to run (Docker Hub, ECR, GHCR, …). Set image or build, not both.'),
  build: buildSchema.optional().describe("Build this service's image from a Dockerfile on deploy and push it to a private ECR repository."),
  port: portSchema
    .optional()
    .describe('Port the container listens on; the load balancer sends HTTP traffic here. Omit for a worker with no load balancer.'),
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~/-]*$/, 'must be a URL path such as / or /api')
    // The listener rule matches "<path>" and "<path>/*"; each path-pattern value is at most 128 characters
    // (ELBv2 PathPatternConditionConfig, https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_PathPatternConditionConfig.html).
    .refine(
      (v) => v.replace(/\/+$/, '').length <= MAX_ROUTED_PATH,
      `must be at most ${MAX_ROUTED_PATH} characters (without a trailing /): the load balancer rule matches "<path>/*", which AWS limits to 128; shorten the path`,
    )
    .default('/')
    .describe('URL path prefix the load balancer routes to this service (/, /api); each public service needs its own.'),
  cpu: z.number().int().default(256).describe('Task CPU units (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384.'),
  memory: z
    .number()
    .int()
    .default(512)
    .describe('Task memory in MiB; must be a valid Fargate pair with cpu (256: 512-2048; 512: 1024-4096; 1024: 2048-8192; ...).'),
  desiredCount: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(1)
    .describe('How many tasks to run (within autoscaling min and max when autoscaling is set).'),
  // CreateTargetGroup HealthCheckPath: 1-1024 characters (ELBv2 API reference).
  healthCheckPath: z
    .string()
    .regex(/^\/\S*$/, 'must start with /')
    .max(1024, 'must be at most 1024 characters')
    .default('/')
    .describe('Path the load balancer requests; any 200-399 answer counts as healthy.'),
  environment: z
    .record(z.string(), z.string({ error: 'environment values must be strings (quote numbers and booleans)' }))
    .default({})
    .describe('Plain environment variables for the container (strings; quote numbers). Not for secrets: use secrets.'),
  command: z.array(z.string()).optional().describe('Override of the image\'s command, e.g. ["npm", "start"].'),
  autoscaling: autoscalingSchema
    .optional()
    .describe('Add and remove tasks between min and max, on CPU, memory, requests or queue backlog.'),
  logRetentionDays: z
    .number()
    .int()
    .default(30)
    .describe("Days CloudWatch Logs keeps the container's logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ..."),
  /** Environment variables ECS fills from SSM Parameter Store / Secrets Manager (references, never values). */
  secrets: secretsField.describe(
    'Environment variables ECS fills from SSM Parameter Store or Secrets Manager: references (ssm:/path, secretsmanager:name), never values.',
  ),
  /** Customer-managed KMS key the secrets are encrypted with; the execution role may decrypt with it. */
  kmsKeyArn: kmsKeyArnField.describe(
    'Customer-managed KMS key ARN the secrets are encrypted with (not an alias); the execution role may decrypt with it.',
  ),
  /** What the app's tasks may do in AWS; default nothing. */
  taskRole: taskRoleField.describe("What the app's tasks may do in AWS: managed policies and inline statements. Default: nothing."),
  /** Where tasks run: Fargate, Fargate Spot (interruptible, cheaper) or the app's EC2 instances. */
  capacity: z
    .enum(['fargate', 'fargate-spot', 'ec2'], { error: 'must be fargate, fargate-spot or ec2' })
    .default('fargate')
    .describe('Where tasks run: fargate (on demand), fargate-spot (cheaper, interruptible) or ec2 (the instances of the ec2: block).'),
  /** Optional mix of Fargate and Fargate Spot, e.g. base 1 on FARGATE and the rest weighted to FARGATE_SPOT. */
  capacityStrategy: z
    .array(capacityStrategyItem)
    .min(1)
    .max(2)
    .optional()
    .describe('A mix of FARGATE and FARGATE_SPOT instead of capacity, e.g. base 1 on FARGATE and the rest weighted to FARGATE_SPOT.'),
  /** x86_64 or arm64 (Graviton); default x86_64, or what build.platform builds for. */
  cpuArchitecture: z
    .enum(['x86_64', 'arm64'], { error: 'must be x86_64 or arm64' })
    .optional()
    .describe('CPU architecture the tasks run on: x86_64 or arm64 (Graviton); default x86_64, or what build.platform builds for.'),
  /** EC2 capacity only: awsvpc (an ENI per task) or bridge (dynamic host ports, instance targets). */
  networkMode: z
    .enum(['awsvpc', 'bridge'], { error: 'must be awsvpc or bridge' })
    .default('awsvpc')
    .describe('capacity ec2 only: awsvpc (a network interface per task) or bridge (dynamic host ports, instance targets).'),
  deployment: deploymentField.describe(
    'How ECS rolls out a new revision: rolling (default), blue-green, linear or canary, with alarm rollback and pause hooks.',
  ),
  exec: execField.describe('ECS Exec into the running containers (`ecs-kit exec`); turning it on starts new tasks.'),
  /** Reachable only by the app's own services, at http://<service>:<port> (ECS Service Connect); no load balancer. */
  internal: z
    .boolean()
    .default(false)
    .describe("Reachable only by the app's own services at http://<service>:<port> (Service Connect); no load balancer."),
  /** A queue worker: an SQS queue and dead-letter queue, QUEUE_URL/DLQ_URL in the environment. */
  queue: queueSchema.optional().describe('A queue worker: an SQS queue and dead-letter queue; QUEUE_URL and DLQ_URL in its environment.'),
  /** A scheduled job (EventBridge Scheduler): cron(…), rate(…) or at(…); no ECS service. */
  schedule: scheduleField.optional().describe('A scheduled job (EventBridge Scheduler): cron(…), rate(…) or at(…); no ECS service.'),
  /** The schedule's IANA time zone (default UTC). */
  timezone: timezoneField.optional().describe("The schedule's IANA time zone, e.g. Europe/Berlin (default UTC)."),
  /** More containers in each task, e.g. a telemetry collector. */
  sidecars: sidecarsSchema.describe('More containers in each task, e.g. a telemetry collector; the key is the container name.'),
  /** The container's own health check (Docker HEALTHCHECK), run by ECS. */
  healthCheck: healthCheckSchema.optional().describe("The container's own health check (like Docker HEALTHCHECK), run by ECS."),
  /** The load balancer's health check timing and the deregistration delay (default 30 s). */
  loadBalancerHealthCheck: loadBalancerHealthCheckSchema
    .optional()
    .describe("The load balancer's health check timing and the deregistration delay (default 30 s)."),
  /** Seconds between SIGTERM and SIGKILL when a task stops. */
  stopTimeout: stopTimeoutField.optional().describe('Seconds between SIGTERM and SIGKILL when a task stops (2-120).'),
  /** Fargate task storage in GiB (21–200; 20 without it). */
  ephemeralStorage: ephemeralStorageField.optional().describe('Fargate task storage in GiB (21-200; 20 without it).'),
});

/** The container instances a config gets when it leaves out (parts of) the ec2: block. */
export const EC2_DEFAULTS = { instanceType: 't3.small', min: 1, max: 2, desired: 1, spot: false } as const;

export const configSchema = z.strictObject({
  app: appName.describe(
    'Name of the app: prefixes every AWS resource name and tag. Lowercase letters, digits and hyphens, 2 to 24 characters.',
  ),
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region code such as us-east-1')
    .optional()
    .describe('AWS region to deploy into, e.g. us-east-1; --region overrides it, AWS_REGION or the profile apply without it.'),
  network: z
    .strictObject({
      profile: z
        .enum(['learning', 'production'], { error: 'must be "learning" or "production"' })
        .default('learning')
        .describe('learning: public subnets only, no NAT gateway (cheapest). production: tasks in private subnets behind NAT gateways.'),
      cidr: z
        .string()
        .regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/, 'must be an IPv4 CIDR block from /16 to /24, such as 10.0.0.0/16')
        .default('10.0.0.0/16')
        .describe("The VPC's IPv4 range, /16 to /24; subnets are carved from it (at least /27 each)."),
      /** Number of availability zones; default 2, or as many as zoneIds lists. */
      azs: z
        .union([z.literal(2), z.literal(3)], { error: 'must be 2 or 3' })
        .optional()
        .describe('Availability zones to spread over: 2 or 3 (default 2, or as many as zoneIds lists).'),
      nat: z
        .enum(['single', 'per-az'], { error: 'must be "single" or "per-az"' })
        .default('single')
        .describe('production only: single (one NAT gateway) or per-az (one per zone; survives a zone outage, costs one per zone).'),
      /** Pin the zones by ID (the same in every account, unlike zone names), e.g. [use1-az1, use1-az2]. */
      zoneIds: z
        .array(
          z
            .string()
            .regex(/^[a-z]+[0-9]+-az[0-9]+$/, 'must be availability zone IDs such as use1-az1 (see `aws ec2 describe-availability-zones`)'),
        )
        .min(2, 'must list 2 or 3 zone IDs (a load balancer needs 2 zones)')
        .max(3, 'must list 2 or 3 zone IDs')
        .optional()
        .describe('Pin the zones by zone ID (the same in every account), e.g. [use1-az1, use1-az2]; its length sets azs.'),
      /** Bring your own VPC: ecs-kit only reads it and never changes or deletes it. */
      vpcId: z
        .string()
        .regex(/^vpc-[0-9a-f]+$/, 'must be a VPC id such as vpc-0abc1234')
        .optional()
        .describe('Use this VPC of yours instead of creating one; ecs-kit only reads it and never changes or deletes it.'),
      publicSubnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be subnet ids such as subnet-0abc1234'))
        .optional()
        .describe('With vpcId: subnets for the load balancer, at least 2, in different availability zones.'),
      privateSubnetIds: z
        .array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be subnet ids such as subnet-0abc1234'))
        .optional()
        .describe('With vpcId: subnets for the tasks (no public IPs); they need a NAT route or VPC endpoints.'),
    })
    .superRefine((n, ctx) => {
      if (Array.isArray(n.zoneIds) && n.azs !== undefined && n.azs !== n.zoneIds.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['azs'],
          message: `does not match the ${n.zoneIds.length} zones in network.zoneIds; remove network.azs (zoneIds sets the number of zones)`,
        });
      }
    })
    // zoneIds sets the zone count; otherwise 2.
    .transform((n) => ({ ...n, azs: (n.azs ?? n.zoneIds?.length ?? 2) as 2 | 3 }))
    .default({ profile: 'learning', cidr: '10.0.0.0/16', azs: 2, nat: 'single' })
    .describe('The network: a VPC ecs-kit creates (profile, cidr, azs, nat, zoneIds) or one you have (vpcId and subnets).'),
  cluster: z
    .strictObject({
      containerInsights: z
        .boolean()
        .default(false)
        .describe('CloudWatch Container Insights metrics for the cluster (billed by CloudWatch).'),
    })
    .default({ containerInsights: false })
    .describe('The ECS cluster.'),
  ecr: z
    .strictObject({
      keepImages: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(10)
        .describe("How many pushed images the repository's lifecycle policy keeps (services with build only)."),
      /** IMMUTABLE: a pushed tag can never be overwritten (ecs-kit's own sha-… tags never are anyway). */
      imageTagMutability: z
        .enum(['MUTABLE', 'IMMUTABLE'], { error: 'must be MUTABLE or IMMUTABLE' })
        .default('MUTABLE')
        .describe('IMMUTABLE: a pushed tag can never be overwritten.'),
    })
    .default({ keepImages: 10, imageTagMutability: 'MUTABLE' })
    .describe('The ECR repositories of services that build their image.'),
  /** Container instances for services with capacity: ec2 (defaults: EC2_DEFAULTS). */
  ec2: z
    .strictObject({
      instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an instance type such as t3.small')
        .default(EC2_DEFAULTS.instanceType)
        .describe('EC2 instance type, e.g. t3.small; a Graviton type (t4g.small) needs cpuArchitecture: arm64 on its services.'),
      ami: z
        .string()
        .regex(/^ami-[0-9a-f]+$/, 'must be an AMI id such as ami-0abc1234')
        .optional()
        .describe('Pin the AMI; default: the latest ECS-optimized Amazon Linux 2023 AMI.'),
      min: z.number().int().min(0).max(1000).default(EC2_DEFAULTS.min).describe('Fewest instances in the Auto Scaling group.'),
      max: z.number().int().min(1).max(1000).default(EC2_DEFAULTS.max).describe('Most instances in the Auto Scaling group.'),
      desired: z
        .number()
        .int()
        .min(0)
        .max(1000)
        .default(EC2_DEFAULTS.desired)
        .describe('Instances to start with; ECS managed scaling moves it between min and max.'),
      spot: z
        .boolean()
        .default(EC2_DEFAULTS.spot)
        .describe('Run the instances as Spot: cheaper, but EC2 may reclaim them with a 2-minute warning.'),
    })
    .optional()
    .describe('EC2 container instances for services with capacity: ec2 (an Auto Scaling group, billed per hour).'),
  /** HTTPS certificate and who may reach the shared load balancer. */
  loadBalancer: loadBalancerField.describe('HTTPS certificate and who may reach the shared load balancer.'),
  services: z.record(z.string(), serviceSchema).describe('One entry per container; the key is the service name used in AWS names.'),
  state: stateField.describe('Where the manifest lives: local (default) or a shared S3 bucket.'),
  /** Per-environment overrides, deep-merged over the rest for --env <name> (src/config/environments.ts); gone once resolved. */
  environments: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .optional()
    .describe('Per-environment overrides, deep-merged over the rest of this file for --env <name>.'),
});

export type Config = z.output<typeof configSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

/** Cross-field rules that a per-field schema cannot express. Pure; returns problems. */
export function checkRules(config: Config): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const names = Object.keys(config.services);
  if (names.length === 0) add(['services'], 'define at least one service, e.g. services: { web: { image: nginx:1.27, port: 80 } }');

  const paths = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    const nameCheck = serviceName.safeParse(name);
    if (!nameCheck.success) add(at, nameCheck.error.issues[0]?.message ?? 'invalid service name');
    checkReservedServiceName(config, name, add);

    if (svc.image && svc.build) add(at, 'set either image (an existing image) or build (a Dockerfile to build), not both');
    if (!svc.image && !svc.build) add(at, 'set image (e.g. nginx:1.27) or build: { context: ., dockerfile: Dockerfile }');

    if (!FARGATE_CPUS.includes(svc.cpu)) {
      add([...at, 'cpu'], `${svc.cpu} is not a Fargate size; use ${humanList(FARGATE_CPUS)}`);
    } else if (!fargateMemoriesFor(svc.cpu).includes(svc.memory)) {
      add([...at, 'memory'], `${svc.memory} MiB is not valid with cpu ${svc.cpu}; use ${describeMemoryRange(svc.cpu)}`);
    }

    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(svc.logRetentionDays)) {
      add(
        [...at, 'logRetentionDays'],
        `${svc.logRetentionDays} is not a CloudWatch Logs retention; use one of ${LOG_RETENTION_DAYS.join(', ')}`,
      );
    }

    for (const key of Object.keys(svc.environment)) {
      if (!isEnvVarName(key)) add([...at, 'environment', key], ENV_VAR_NAME_PROBLEM);
      if (key.startsWith('ECS_') || key.startsWith('AWS_'))
        add([...at, 'environment', key], 'names starting with AWS_ or ECS_ are reserved by the ECS agent; rename the variable');
    }

    if (svc.autoscaling) {
      const { min, max } = svc.autoscaling;
      if (min > max) add([...at, 'autoscaling', 'min'], `${min} is greater than max (${max}); make min ≤ max`);
      if (svc.desiredCount < min || svc.desiredCount > max) {
        add([...at, 'desiredCount'], `${svc.desiredCount} is outside autoscaling min/max (${min}–${max}); set it within that range`);
      }
    }

    if (svc.capacityStrategy) {
      if (svc.capacity === 'ec2') add([...at, 'capacityStrategy'], 'mixes only FARGATE and FARGATE_SPOT; remove it for capacity: ec2');
      const providers = svc.capacityStrategy.map((s) => s.provider);
      if (new Set(providers).size !== providers.length)
        add([...at, 'capacityStrategy'], 'names a provider twice; list each of FARGATE and FARGATE_SPOT at most once');
      if (svc.capacityStrategy.filter((s) => (s.base ?? 0) > 0).length > 1)
        add([...at, 'capacityStrategy'], 'only one provider may have a base');
      if (!svc.capacityStrategy.some((s) => s.weight > 0)) add([...at, 'capacityStrategy'], 'at least one provider needs a weight above 0');
    }
    checkArchitecture(svc, at, add);
    if (svc.networkMode === 'bridge' && svc.capacity !== 'ec2')
      add([...at, 'networkMode'], 'bridge needs capacity: ec2 (Fargate supports only awsvpc)');

    if (isPublic(svc)) {
      const other = paths.get(svc.path);
      if (other) add([...at, 'path'], `"${svc.path}" is already routed to service ${other}; give each public service its own path`);
      paths.set(svc.path, name);
    }
  }
  checkNetworkRules(config, add);
  checkEc2Rules(config, add);
  checkWorkloadRules(config, add);
  problems.push(...checkSecurityRules(config));
  problems.push(...checkDeploymentRules(config.services));
  return problems;
}

/**
 * A service's security group is <app>-<env>-<service>, so a service named lb or instances would
 * take the name of ecs-kit's own load balancer or instance group (and be adopted as it). Refused
 * only where that group exists, so a config that works today stays valid.
 */
function checkReservedServiceName(config: Config, name: string, add: (path: (string | number)[], message: string) => void): void {
  if (!Object.hasOwn(RESERVED_SERVICE_NAMES, name)) return;
  const svcs = Object.values(config.services);
  const clash = name === 'lb' ? svcs.some(isPublic) : svcs.some((s) => s.capacity === 'ec2');
  if (!clash) return;
  const owner = RESERVED_SERVICE_NAMES[name as keyof typeof RESERVED_SERVICE_NAMES];
  add(
    ['services', name],
    `the name "${name}" is taken by the security group of ${owner} (<app>-<env>-${name}); rename the service, e.g. ${name}-app`,
  );
}

function checkArchitecture(svc: ServiceConfig, at: (string | number)[], add: (path: (string | number)[], message: string) => void): void {
  const platform = svc.build?.platform;
  if (platform === undefined) return;
  const arch = BUILD_PLATFORMS[platform];
  if (!arch) {
    add([...at, 'build', 'platform'], `"${platform}" is not a platform ECS runs; use linux/amd64 or linux/arm64`);
    return;
  }
  const wanted = svc.cpuArchitecture === undefined ? undefined : svc.cpuArchitecture === 'arm64' ? 'ARM64' : 'X86_64';
  if (wanted && wanted !== arch) {
    add(
      [...at, 'cpuArchitecture'],
      `${svc.cpuArchitecture} does not match build.platform ${platform}; set both to the same architecture (or drop build.platform)`,
    );
  }
}

export const defaults = {
  env: 'default',
  port: 80,
  cpu: 256,
  memory: 512,
  desiredCount: 1,
  healthCheckPath: '/',
  autoscaling: { min: 1, max: 4, targetCpu: 60 },
};
