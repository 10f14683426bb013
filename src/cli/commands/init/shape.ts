import { EC2_DEFAULTS, configSchema } from '../../../config/schema.js';
import { UsageError } from '../../../errors.js';
import type { Choice, Prompter } from '../../prompts.js';
import type { Answers, Capacity, NatMode, NetworkProfile } from './answers.js';
import { askExistingVpc, type ShapeEnv } from './existing-vpc.js';
import { num, oneOf, zodCheck, type InitOptions } from './flags.js';

const PROFILES: readonly NetworkProfile[] = ['learning', 'production'];
const NATS: readonly NatMode[] = ['single', 'per-az'];
const CAPACITIES: readonly Capacity[] = ['fargate', 'fargate-spot', 'ec2'];
const instanceTypeField = configSchema.shape.ec2.unwrap().shape.instanceType;

type Select<T> = { message: string; choices: readonly Choice<T>[]; default: T };

const NETWORK_QUESTION: Select<NetworkProfile | 'existing'> = {
  message: 'Network',
  choices: [
    {
      name: 'learning',
      value: 'learning',
      description: 'public subnets only, no NAT gateway: cheapest; tasks get public IPs (still reachable only through the load balancer)',
    },
    {
      name: 'production',
      value: 'production',
      description:
        'tasks in private subnets behind a NAT gateway; adds NAT gateway hours (about $32/month each in us-east-1) plus $0.045 per GB processed',
    },
    {
      name: 'Use an existing VPC',
      value: 'existing',
      description:
        'pick a VPC and subnets you already have; ecs-kit only reads them and never changes or deletes them (their NAT costs are yours)',
    },
  ],
  default: 'learning',
};

const NAT_QUESTION: Select<NatMode> = {
  message: 'NAT gateways',
  choices: [
    {
      name: 'single',
      value: 'single',
      description: 'one NAT gateway for all zones: half the cost, but outbound traffic stops if its zone fails',
    },
    { name: 'per-az', value: 'per-az', description: 'one per availability zone: survives a zone outage, costs one NAT gateway per zone' },
  ],
  default: 'single',
};

const AZS_QUESTION: Select<string> = {
  message: 'Availability zones',
  choices: [
    { name: '2', value: '2' },
    { name: '3', value: '3' },
  ],
  default: '2',
};

const CAPACITY_QUESTION: Select<Capacity> = {
  message: 'Capacity',
  choices: [
    { name: 'fargate', value: 'fargate', description: 'on-demand Fargate' },
    { name: 'fargate-spot', value: 'fargate-spot', description: 'up to ~70% cheaper, but AWS may stop tasks with a 2-minute warning' },
    {
      name: 'ec2',
      value: 'ec2',
      description:
        'EC2 instances you pay for by the hour, ECS-optimized AMI, Auto Scaling group; cheaper at steady high load, more to manage',
    },
  ],
  default: 'fargate',
};

/** Network and capacity choices, with what each costs (the reason to ask at all). */
export async function askShape(
  opts: InitOptions,
  p: Prompter | undefined,
  env: ShapeEnv,
): Promise<Pick<Answers, 'network' | 'capacity' | 'ec2'>> {
  const flags = shapeFlags(opts);
  const network = await askNetwork(opts, p, env, flags.azs);
  const capacity =
    flags.capacity ?? (opts.instanceType !== undefined ? 'ec2' : undefined) ?? (p ? await p.select(CAPACITY_QUESTION) : 'fargate');
  if (capacity !== 'ec2') return { network, capacity };
  const instanceType =
    opts.instanceType?.trim() ??
    (p
      ? (
          await p.input({
            message: 'EC2 instance type',
            default: EC2_DEFAULTS.instanceType,
            validate: (v) => zodCheck(instanceTypeField, v.trim()),
          })
        ).trim()
      : EC2_DEFAULTS.instanceType);
  return { network, capacity, ec2: { instanceType } };
}

/** The shape flags, and the combinations of them that cannot work (exit 2). */
function shapeFlags(opts: InitOptions): { azs?: 2 | 3; capacity?: Capacity } {
  const azs = num(opts.azs, '--azs');
  if (azs !== undefined && azs !== 2 && azs !== 3) throw new UsageError(`--azs ${azs} is not valid.`, 'Use --azs 2 or --azs 3.');
  if ((opts.publicSubnets !== undefined || opts.privateSubnets !== undefined) && opts.vpcId === undefined) {
    throw new UsageError(
      '--public-subnets/--private-subnets were given without --vpc-id.',
      'Pass --vpc-id vpc-… with the VPC the subnets belong to.',
    );
  }
  if (opts.vpcId !== undefined && (opts.network !== undefined || opts.nat !== undefined || opts.azs !== undefined)) {
    throw new UsageError(
      '--vpc-id uses a VPC you already have, so --network, --nat and --azs do not apply.',
      'Drop --network/--nat/--azs, or drop --vpc-id to let ecs-kit create the VPC.',
    );
  }
  const capacity = oneOf(opts.capacity, CAPACITIES, '--capacity');
  if (opts.instanceType !== undefined && capacity !== undefined && capacity !== 'ec2') {
    throw new UsageError('--instance-type applies only to --capacity ec2.', 'Add --capacity ec2, or drop --instance-type.');
  }
  return { ...(azs !== undefined ? { azs } : {}), ...(capacity ? { capacity } : {}) };
}

/** A new VPC (learning, or production with its NAT gateways and zones) or one the person already has. */
async function askNetwork(
  opts: InitOptions,
  p: Prompter | undefined,
  env: ShapeEnv,
  azsFlag: 2 | 3 | undefined,
): Promise<Answers['network']> {
  const choice =
    (opts.vpcId !== undefined ? 'existing' : undefined) ??
    oneOf(opts.network, PROFILES, '--network') ??
    (p ? await p.select(NETWORK_QUESTION) : 'learning');
  const existing = choice === 'existing' ? await askExistingVpc(opts, p, env) : undefined;
  const profile = choice === 'existing' ? 'learning' : choice;
  let nat = oneOf(opts.nat, NATS, '--nat') ?? 'single';
  let azs = azsFlag ?? 2;
  if (profile === 'production' && p) {
    if (opts.nat === undefined) nat = await p.select(NAT_QUESTION);
    if (azsFlag === undefined) azs = (await p.select(AZS_QUESTION)) === '3' ? 3 : 2;
  }
  return { profile, nat, azs, ...(existing ? { existing } : {}) };
}
