import { schemaModeline } from '../../../config/json-schema.js';
import { EC2_DEFAULTS } from '../../../config/schema.js';
import { SERVICE_NAME, type Answers } from './answers.js';
import { field, mapping, note, type Field, type Mapping, type YamlDocument } from './yaml-document.js';

/**
 * The config file init writes, described once: every value from the answers with the comment
 * that explains it. The YAML and the JSON are both written from this (yaml-document.ts), and
 * templates/ecs-kit.yml is what it gives for the defaults (a test keeps the two the same).
 */
export function configDocument(a: Answers): YamlDocument {
  return {
    header: [
      // Editors with the YAML language server complete and check the file with ecs-kit's JSON Schema.
      schemaModeline(),
      'ecs-kit.yml — what `npx ecs-kit deploy` builds in your AWS account.',
      'Change a value and deploy again: only what changed is updated.',
      '`npx ecs-kit teardown` deletes everything ecs-kit created for this app.',
    ],
    entries: [
      field(
        'app',
        a.app,
        'Name of the app. It prefixes every AWS resource name and tag, so keep it short:',
        'lowercase letters, digits and hyphens, 2 to 24 characters.',
      ),
      field('region', a.region, 'AWS region to deploy into. The --region flag overrides it.'),
      field('network', network(a.network)),
      field(
        'cluster',
        mapping(field('containerInsights', false, 'CloudWatch Container Insights metrics for the cluster (billed by CloudWatch).')),
      ),
      field('ecr', mapping(field('keepImages', 10, 'Only matters for services that use build: how many pushed images to keep.'))),
      ...(a.ec2 ? [ec2(a.ec2.instanceType)] : []),
      field(
        'services',
        mapping(field(SERVICE_NAME, service(a))),
        `One entry per container. The key (${SERVICE_NAME}) is the service name used in AWS names.`,
      ),
    ],
  };
}

function network(n: Answers['network']): Mapping {
  const e = n.existing;
  if (e) {
    return mapping(
      field('vpcId', e.vpcId, 'Your own VPC: ecs-kit only reads it and its subnets, and never changes or deletes them.'),
      field('publicSubnetIds', e.publicSubnetIds, 'Subnets for the load balancer: at least 2, in different availability zones.'),
      field(
        'privateSubnetIds',
        e.privateSubnetIds,
        'Subnets for the tasks (no public IPs). They need a route to the internet (a NAT gateway)',
        'or VPC endpoints for ECR and CloudWatch Logs. Empty: tasks run in the public subnets.',
      ),
    );
  }
  const cidr = field(
    'cidr',
    '10.0.0.0/16',
    "The VPC's IPv4 address range, /16 to /24.",
    'To use a VPC you already have instead, set vpcId, publicSubnetIds (the load balancer,',
    '2+ zones) and privateSubnetIds (the tasks); ecs-kit then never changes or deletes them.',
    'vpcId: vpc-0abc1234',
    'publicSubnetIds: [subnet-0aaa, subnet-0bbb]',
    'privateSubnetIds: [subnet-0ccc, subnet-0ddd]',
  );
  if (n.profile === 'learning') {
    return mapping(
      field(
        'profile',
        'learning',
        '"learning": a new VPC with public subnets in two availability zones and no NAT',
        'gateway (the cheapest setup; tasks get public IPs, reachable only through the load balancer).',
        '"production" puts tasks in private subnets behind NAT gateways (billed per hour and per GB).',
      ),
      cidr,
    );
  }
  return mapping(
    field(
      'profile',
      'production',
      '"production": public subnets for the load balancer and NAT gateways, private subnets for',
      'the tasks (no public IPs). Each NAT gateway is billed per hour plus per GB processed.',
    ),
    field('azs', n.azs, 'Availability zones to spread over: 2 or 3.'),
    field(
      'nat',
      n.nat,
      'NAT gateways: "single" (one, cheapest; outbound traffic depends on its zone) or',
      '"per-az" (one per zone: survives a zone outage, costs one NAT gateway per zone).',
    ),
    cidr,
  );
}

/** The Auto Scaling group size is the schema's defaults, written out so they are easy to change. */
function ec2(instanceType: string): Field {
  return field(
    'ec2',
    mapping(
      field('instanceType', instanceType, 'Instance type. Each awsvpc task takes a network interface, so small types hold few tasks.'),
      field('min', EC2_DEFAULTS.min, 'Instances in the group: min ≤ desired ≤ max; ECS managed scaling moves it within that range.'),
      field('max', EC2_DEFAULTS.max),
      field('desired', EC2_DEFAULTS.desired),
      field('spot', EC2_DEFAULTS.spot, 'true runs Spot instances: cheaper, but EC2 may reclaim them with a 2-minute warning.'),
      note('To pin the AMI instead of the latest ECS-optimized one: ami: ami-0abc1234'),
    ),
    'EC2 container instances for services with capacity: ec2: an Auto Scaling group of',
    'ECS-optimized Amazon Linux 2023 instances (billed per hour whether or not tasks run).',
  );
}

function service(a: Answers): Mapping {
  return mapping(
    source(a.source),
    field('port', a.port, 'Port the container listens on; the load balancer sends HTTP traffic here.'),
    field('path', '/', 'URL path prefix the load balancer routes to this service.'),
    field(
      'cpu',
      a.cpu,
      'Task size: cpu in CPU units (1024 = 1 vCPU), memory in MiB. Valid Fargate pairs:',
      '  cpu 256: memory 512, 1024 or 2048     cpu 512: 1024 to 4096 (steps of 1024)',
      '  cpu 1024: 2048 to 8192                cpu 2048: 4096 to 16384',
      '  cpu 4096: 8192 to 30720               cpu 8192: 16384 to 61440 (steps of 4096)',
      '  cpu 16384: 32768 to 122880 (steps of 8192)',
    ),
    field('memory', a.memory),
    field('desiredCount', a.desiredCount, 'How many copies of the container (tasks) to run.'),
    field('healthCheckPath', a.healthCheckPath, 'The load balancer requests this path; any 200-399 answer counts as healthy.'),
    field(
      'environment',
      mapping(...Object.entries(a.environment).map(([k, v]) => field(k, v))),
      'Environment variables for the container. Values must be strings: quote numbers and booleans.',
      'Names starting with AWS_ or ECS_ are reserved.',
    ),
    autoscaling(a.autoscaling),
    field('logRetentionDays', 30, "Days to keep the container's logs in CloudWatch Logs."),
    field(
      'capacity',
      a.capacity,
      'Where tasks run: "fargate" (on demand), "fargate-spot" (up to ~70% cheaper; AWS may',
      'stop tasks with a 2-minute warning) or "ec2" (the instances in the ec2: block, billed',
      'per hour; cheaper at steady high load, more to manage). To mix Fargate and Fargate Spot,',
      'e.g. one on-demand task and the rest on Spot, replace this with:',
      'capacityStrategy:',
      '  - { provider: FARGATE, base: 1, weight: 1 }',
      '  - { provider: FARGATE_SPOT, weight: 3 }',
    ),
  );
}

function source(s: Answers['source']): Field {
  if ('image' in s)
    return field('image', s.image, 'The image to run, from any registry the tasks can pull from (Docker Hub, ECR, GHCR, …).');
  return field(
    'build',
    mapping(field('context', s.build.context), field('dockerfile', s.build.dockerfile)),
    'Built from this Dockerfile on each deploy and pushed to a private ECR repository.',
    'Both paths are relative to this file.',
  );
}

/** Off, it stays in the file commented out, so it is easy to turn on. */
function autoscaling(s: Answers['autoscaling']) {
  if (!s) {
    return note(
      'Autoscaling is off. To add and remove tasks with CPU load, uncomment this',
      '(desiredCount must lie between min and max):',
      'autoscaling:',
      '  min: 1',
      '  max: 4',
      '  targetCpu: 60',
    );
  }
  return field(
    'autoscaling',
    mapping(field('min', s.min), field('max', s.max), field('targetCpu', s.targetCpu)),
    'Runs between min and max tasks, adding or removing tasks to keep average CPU near targetCpu %.',
  );
}
