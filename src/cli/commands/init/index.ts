import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ENV_VAR_NAME_PROBLEM, isEnvVarName } from '../../../config/env-vars.js';
import { FARGATE_CPUS, FARGATE_SIZES, fargateMemoriesFor } from '../../../config/fargate.js';
import { parseConfigText, resolveConfigPath } from '../../../config/load.js';
import { EC2_DEFAULTS, appName, configSchema, defaults } from '../../../config/schema.js';
import type { Reporter } from '../../../engine/events.js';
import { ConfigError, EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import { formatError } from '../../../ui/format.js';
import type { Choice, Prompter } from '../../prompts.js';

export interface InitOptions {
  name?: string;
  region?: string;
  /** AWS profile whose region is the default when no region is set anywhere else. */
  profile?: string;
  image?: string;
  dockerfile?: string;
  context?: string;
  port?: number | string;
  cpu?: number | string;
  memory?: number | string;
  count?: number | string;
  healthCheckPath?: string;
  min?: number | string;
  max?: number | string;
  targetCpu?: number | string;
  /** false (--no-autoscaling) turns it off; otherwise it is on (and asked about when interactive). */
  autoscaling?: boolean;
  /** KEY=VALUE strings (--env-var, repeatable). */
  envVars?: string[];
  /** --network learning|production */
  network?: string;
  /** --nat single|per-az (production only) */
  nat?: string;
  /** --azs 2|3 (production only) */
  azs?: number | string;
  /** --capacity fargate|fargate-spot|ec2 */
  capacity?: string;
  /** --instance-type (capacity ec2 only) */
  instanceType?: string;
  /** --vpc-id: use this existing VPC instead of creating one. */
  vpcId?: string;
  /** --public-subnets a,b (with --vpc-id) */
  publicSubnets?: string;
  /** --private-subnets c,d (with --vpc-id) */
  privateSubnets?: string;
  /** Global --endpoint-url / --max-attempts: used only to list VPCs when the person picks an existing one. */
  endpointUrl?: string;
  maxAttempts?: number;
  force?: boolean;
  yes?: boolean;
  /** Where to write; a .json path writes JSON instead of YAML. */
  config?: string;
}

export interface InitIo {
  prompter?: Prompter;
  interactive: boolean;
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** When given, everything init says goes through it (so --json stays JSON); otherwise plain text. */
  reporter?: Reporter;
}

/** The one service init writes; more can be added by hand. */
export const SERVICE_NAME = 'web';

type Source = { image: string } | { build: { context: string; dockerfile: string } };

interface Answers {
  app: string;
  region: string;
  source: Source;
  port: number;
  cpu: number;
  memory: number;
  desiredCount: number;
  healthCheckPath: string;
  environment: Record<string, string>;
  autoscaling?: { min: number; max: number; targetCpu: number };
  network: { profile: 'learning' | 'production'; nat: 'single' | 'per-az'; azs: 2 | 3; existing?: ExistingVpc };
  capacity: 'fargate' | 'fargate-spot' | 'ec2';
  ec2?: { instanceType: string };
}

interface ExistingVpc {
  vpcId: string;
  publicSubnetIds: string[];
  privateSubnetIds: string[];
}

/** What askShape needs besides flags: where to look for VPCs and how to tell the person something. */
interface ShapeEnv {
  region: string;
  say: (message: string) => void;
}

const PROFILES = ['learning', 'production'] as const;
const NATS = ['single', 'per-az'] as const;
const CAPACITIES = ['fargate', 'fargate-spot', 'ec2'] as const;
const EC2_DEFAULT_INSTANCE_TYPE = EC2_DEFAULTS.instanceType;
const VPC_ID_RE = /^vpc-[0-9a-f]+$/;
const SUBNET_ID_RE = /^subnet-[0-9a-f]+$/;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  const v = value.trim() as T;
  if (!allowed.includes(v)) throw new UsageError(`${flag} ${value} is not valid.`, `Use ${flag} ${allowed.join(' or ')}.`);
  return v;
}

/** Network and capacity choices, with what each costs (the reason to ask at all). */
async function askShape(opts: InitOptions, p: Prompter | undefined, env: ShapeEnv): Promise<Pick<Answers, 'network' | 'capacity' | 'ec2'>> {
  const azsFlag = num(opts.azs, '--azs');
  if (azsFlag !== undefined && azsFlag !== 2 && azsFlag !== 3) throw new UsageError(`--azs ${azsFlag} is not valid.`, 'Use --azs 2 or --azs 3.');
  if ((opts.publicSubnets !== undefined || opts.privateSubnets !== undefined) && opts.vpcId === undefined) {
    throw new UsageError('--public-subnets/--private-subnets were given without --vpc-id.', 'Pass --vpc-id vpc-… with the VPC the subnets belong to.');
  }
  if (opts.vpcId !== undefined && (opts.network !== undefined || opts.nat !== undefined || opts.azs !== undefined)) {
    throw new UsageError('--vpc-id uses a VPC you already have, so --network, --nat and --azs do not apply.', 'Drop --network/--nat/--azs, or drop --vpc-id to let ecs-kit create the VPC.');
  }
  const capacityFlag = oneOf(opts.capacity, CAPACITIES, '--capacity');
  if (opts.instanceType !== undefined && capacityFlag !== undefined && capacityFlag !== 'ec2') {
    throw new UsageError('--instance-type applies only to --capacity ec2.', 'Add --capacity ec2, or drop --instance-type.');
  }
  const choice: 'learning' | 'production' | 'existing' =
    (opts.vpcId !== undefined ? 'existing' : undefined) ??
    oneOf(opts.network, PROFILES, '--network') ??
    (p
      ? await p.select<'learning' | 'production' | 'existing'>({
          message: 'Network',
          choices: [
            { name: 'learning', value: 'learning', description: 'public subnets only, no NAT gateway: cheapest; tasks get public IPs (still reachable only through the load balancer)' },
            {
              name: 'production',
              value: 'production',
              description: 'tasks in private subnets behind a NAT gateway; adds NAT gateway hours (about $32/month each in us-east-1) plus $0.045 per GB processed',
            },
            {
              name: 'Use an existing VPC',
              value: 'existing',
              description: "pick a VPC and subnets you already have; ecs-kit only reads them and never changes or deletes them (their NAT costs are yours)",
            },
          ],
          default: 'learning',
        })
      : 'learning');
  const existing = choice === 'existing' ? await askExistingVpc(opts, p, env) : undefined;
  const profile = choice === 'existing' ? 'learning' : choice;
  let nat: 'single' | 'per-az' = oneOf(opts.nat, NATS, '--nat') ?? 'single';
  let azs = (azsFlag ?? 2) as 2 | 3;
  if (profile === 'production' && p) {
    if (opts.nat === undefined) {
      nat = await p.select<'single' | 'per-az'>({
        message: 'NAT gateways',
        choices: [
          { name: 'single', value: 'single', description: 'one NAT gateway for all zones: half the cost, but outbound traffic stops if its zone fails' },
          { name: 'per-az', value: 'per-az', description: 'one per availability zone: survives a zone outage, costs one NAT gateway per zone' },
        ],
        default: 'single',
      });
    }
    if (azsFlag === undefined) azs = (await p.select<string>({ message: 'Availability zones', choices: [{ name: '2', value: '2' }, { name: '3', value: '3' }], default: '2' })) === '3' ? 3 : 2;
  }
  const capacity =
    capacityFlag ??
    (opts.instanceType !== undefined ? 'ec2' : undefined) ??
    (p
      ? await p.select<'fargate' | 'fargate-spot' | 'ec2'>({
          message: 'Capacity',
          choices: [
            { name: 'fargate', value: 'fargate', description: 'on-demand Fargate' },
            { name: 'fargate-spot', value: 'fargate-spot', description: 'up to ~70% cheaper, but AWS may stop tasks with a 2-minute warning' },
            {
              name: 'ec2',
              value: 'ec2',
              description: 'EC2 instances you pay for by the hour, ECS-optimized AMI, Auto Scaling group; cheaper at steady high load, more to manage',
            },
          ],
          default: 'fargate',
        })
      : 'fargate');
  let ec2: Answers['ec2'];
  if (capacity === 'ec2') {
    const instanceType =
      opts.instanceType?.trim() ??
      (p
        ? (await p.input({ message: 'EC2 instance type', default: EC2_DEFAULT_INSTANCE_TYPE, validate: (v) => zodCheck(instanceTypeField, v.trim()) })).trim()
        : EC2_DEFAULT_INSTANCE_TYPE);
    ec2 = { instanceType };
  }
  return { network: { profile, nat, azs, ...(existing ? { existing } : {}) }, capacity, ...(ec2 ? { ec2 } : {}) };
}

const instanceTypeField = configSchema.shape.ec2.unwrap().shape.instanceType;

/** "a, b c" → ['a', 'b', 'c']; undefined stays undefined. Shapes are checked when the config is validated. */
function idList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function idListProblem(v: string, re: RegExp, example: string, min: number): true | string {
  const ids = idList(v) ?? [];
  const bad = ids.find((id) => !re.test(id));
  if (bad) return `${bad} is not an id such as ${example}`;
  if (ids.length < min) return `list at least ${min}, separated by commas`;
  return true;
}

/**
 * Bring your own VPC. Flags are taken as given (deploy checks them against the account);
 * a person is shown the account's VPCs and subnets to pick from, or asked for the ids
 * when they cannot be listed.
 */
async function askExistingVpc(opts: InitOptions, p: Prompter | undefined, env: ShapeEnv): Promise<ExistingVpc> {
  const publicFlag = idList(opts.publicSubnets);
  const privateFlag = idList(opts.privateSubnets);
  const vpcFlag = opts.vpcId?.trim();
  if (!p) return { vpcId: vpcFlag ?? '', publicSubnetIds: publicFlag ?? [], privateSubnetIds: privateFlag ?? [] };
  if (vpcFlag !== undefined && publicFlag !== undefined) return { vpcId: vpcFlag, publicSubnetIds: publicFlag, privateSubnetIds: privateFlag ?? [] };

  const { AwsClients } = await import('../../../aws/clients.js');
  const aws = new AwsClients({ region: env.region, profile: opts.profile, endpoint: opts.endpointUrl, maxAttempts: opts.maxAttempts });
  try {
    let vpcId = vpcFlag;
    if (vpcId === undefined) {
      const vpcs = await listVpcs(aws).catch((err: unknown) => {
        env.say(`Could not list the VPCs in ${env.region} (${awsReason(err)}), so type the ids instead. Deploy checks them.`);
        return undefined;
      });
      if (vpcs?.length === 0) env.say(`There are no VPCs in ${env.region} to choose from; type the ids of the VPC to use.`);
      if (!vpcs?.length) return await typeIds(p, undefined, publicFlag, privateFlag);
      vpcId = await p.select<string>({
        message: 'VPC',
        choices: vpcs.map((v) => ({
          name: [v.VpcId, v.CidrBlock, nameTag(v.Tags)].filter(Boolean).join('  '),
          value: v.VpcId!,
          ...(v.IsDefault ? { description: 'the default VPC' } : {}),
        })),
      });
    }
    const subnets = await listSubnets(aws, vpcId).catch((err: unknown) => {
      env.say(`Could not list the subnets of ${vpcId} (${awsReason(err)}), so type their ids instead. Deploy checks them.`);
      return undefined;
    });
    if (!subnets) return await typeIds(p, vpcId, publicFlag, privateFlag);
    if (new Set(subnets.map((s) => s.AvailabilityZone)).size < 2) {
      env.say(`${vpcId} has subnets in fewer than 2 availability zones; the load balancer needs public subnets in 2. Type the ids of subnets to use (create them first).`);
      return await typeIds(p, vpcId, publicFlag, privateFlag);
    }
    const label = (s: Subnet) => [s.SubnetId, s.AvailabilityZone, s.CidrBlock, nameTag(s.Tags)].filter(Boolean).join('  ');
    const describeIp = (s: Subnet) => (s.MapPublicIpOnLaunch ? 'gives instances public IPs (usually a public subnet)' : 'no public IPs on launch (usually a private subnet)');
    const publicSubnetIds =
      publicFlag ??
      (await p.checkbox<string>({
        message: 'Public subnets for the load balancer (2+ availability zones)',
        choices: subnets.map((s) => ({ name: label(s), value: s.SubnetId!, description: describeIp(s), checked: Boolean(s.MapPublicIpOnLaunch) })),
        validate: (ids) => {
          const zones = new Set(ids.map((id) => subnets.find((s) => s.SubnetId === id)?.AvailabilityZone));
          return zones.size >= 2 ? true : 'pick subnets in at least 2 availability zones';
        },
      }));
    const rest = subnets.filter((s) => !publicSubnetIds.includes(s.SubnetId!));
    const privateSubnetIds =
      privateFlag ??
      (rest.length === 0
        ? []
        : await p.checkbox<string>({
            message: 'Private subnets for the tasks (none: tasks run in the public subnets with public IPs)',
            choices: rest.map((s) => ({ name: label(s), value: s.SubnetId!, description: describeIp(s), checked: !s.MapPublicIpOnLaunch })),
          }));
    return { vpcId, publicSubnetIds, privateSubnetIds };
  } finally {
    aws.destroy();
  }
}

async function typeIds(p: Prompter, vpcFlag: string | undefined, publicFlag: string[] | undefined, privateFlag: string[] | undefined): Promise<ExistingVpc> {
  const vpcId = vpcFlag ?? (await p.input({ message: 'VPC id', validate: (v) => (VPC_ID_RE.test(v.trim()) ? true : 'enter a VPC id such as vpc-0abc1234') })).trim();
  const publicSubnetIds =
    publicFlag ??
    idList(await p.input({ message: 'Public subnet ids for the load balancer (2+ zones, comma-separated)', validate: (v) => idListProblem(v, SUBNET_ID_RE, 'subnet-0abc1234', 2) })) ??
    [];
  const privateSubnetIds =
    privateFlag ??
    idList(
      await p.input({
        message: 'Private subnet ids for the tasks (comma-separated; empty: tasks run in the public subnets)',
        default: '',
        validate: (v) => idListProblem(v, SUBNET_ID_RE, 'subnet-0abc1234', 0),
      }),
    ) ??
    [];
  return { vpcId, publicSubnetIds, privateSubnetIds };
}

type Vpc = import('@aws-sdk/client-ec2').Vpc;
type Subnet = import('@aws-sdk/client-ec2').Subnet;
type Clients = import('../../../aws/clients.js').AwsClients;

async function listVpcs(aws: Clients): Promise<Vpc[]> {
  const { DescribeVpcsCommand } = await import('@aws-sdk/client-ec2');
  const out: Vpc[] = [];
  let token: string | undefined;
  do {
    const page = await aws.ec2().send(new DescribeVpcsCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
    out.push(...(page.Vpcs ?? []).filter((v) => v.VpcId && v.State !== 'pending'));
    token = page.NextToken;
  } while (token);
  return out;
}

async function listSubnets(aws: Clients, vpcId: string): Promise<Subnet[]> {
  const { DescribeSubnetsCommand } = await import('@aws-sdk/client-ec2');
  const out: Subnet[] = [];
  let token: string | undefined;
  do {
    const page = await aws.ec2().send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }], MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
    out.push(...(page.Subnets ?? []).filter((s) => s.SubnetId));
    token = page.NextToken;
  } while (token);
  // Zone then CIDR order, so a zone's public and private subnets sit together.
  return out.sort((a, b) => `${a.AvailabilityZone}${a.CidrBlock}`.localeCompare(`${b.AvailabilityZone}${b.CidrBlock}`));
}

function nameTag(tags: { Key?: string; Value?: string }[] | undefined): string | undefined {
  return tags?.find((t) => t.Key === 'Name')?.Value;
}

/** One line on why listing failed: the error's kind and first line, never request details. */
function awsReason(err: unknown): string {
  const e = err as { name?: string; message?: string };
  const first = (e?.message ?? String(err)).split('\n')[0]!.slice(0, 200);
  return e?.name && e.name !== 'Error' ? `${e.name}: ${first}` : first;
}

const TEMPLATE_URL = new URL('../../../../templates/ecs-kit.yml', import.meta.url);

/** Writes ecs-kit.yml from flags and (when a person is there) answers. Returns the exit code. */
export async function runInit(opts: InitOptions, io: InitIo): Promise<number> {
  try {
    return await init(opts, io);
  } catch (err) {
    if (!(err instanceof EcsKitError)) throw err;
    if (io.reporter) {
      io.reporter.emit({ type: 'error', code: err.code, message: err.message, ...(err.why ? { why: err.why } : {}), ...(err.fix ? { fix: err.fix } : {}) });
    } else {
      io.stderr.write(`${formatError(err, { prefix: 'Error: ' }).join('\n')}\n`);
    }
    return err.exitCode;
  }
}

async function init(opts: InitOptions, io: InitIo): Promise<number> {
  const file = resolveConfigPath(io.cwd, opts.config);
  const shown = displayPath(io.cwd, file);
  // Checked before any question so nobody answers ten of them for nothing.
  await refuseOverwrite(file, shown, Boolean(opts.force));

  const interactive = io.interactive && !opts.yes;
  const prompter = interactive ? (io.prompter ?? (await (await import('../../prompts.js')).createPrompter())) : undefined;
  const warnings: string[] = [];
  // Said at once (not collected like warnings): it explains the question that follows.
  const say = (message: string) => (io.reporter ? io.reporter.emit({ type: 'warn', message }) : io.stderr.write(`Warning: ${message}\n`));
  const answers = await gather(opts, io.cwd, path.dirname(file), prompter, warnings, say);

  const json = file.toLowerCase().endsWith('.json');
  const text = json ? `${JSON.stringify(configObject(answers), null, 2)}\n` : renderYaml(await readFile(TEMPLATE_URL, 'utf8'), answers);
  validate(text, file);

  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { encoding: 'utf8', flag: opts.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(shown);
    throw err;
  }

  const next = `Next: npx ecs-kit deploy${file === resolveConfigPath(io.cwd) ? '' : ` --config ${shown}`}`;
  const summary = [`Wrote ${shown} for ${answers.app} in ${answers.region}:`, `  service ${SERVICE_NAME}: ${describe(answers)}`];
  if (io.reporter) {
    for (const w of warnings) io.reporter.emit({ type: 'warn', message: w });
    io.reporter.emit({ type: 'info', message: summary.join('\n') });
    io.reporter.emit({ type: 'output', name: 'config', value: shown });
    io.reporter.emit({ type: 'info', message: next });
  } else {
    for (const w of warnings) io.stderr.write(`Warning: ${w}\n`);
    io.stdout.write(`${[...summary, next].join('\n')}\n`);
  }
  return ExitCode.Ok;
}

async function refuseOverwrite(file: string, shown: string, force: boolean): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) throw new UsageError(`${shown} is a directory.`, 'Pass --config with a file path such as ecs-kit.yml.', 'init.exists');
  if (!force) throw existsError(shown);
}

function existsError(shown: string): UsageError {
  return new UsageError(`${shown} already exists; init did not change it.`, 'Pass --force to overwrite it, or --config PATH to write a new file elsewhere.', 'init.exists');
}

// ---------------------------------------------------------------------------------------
// Questions

async function gather(opts: InitOptions, cwd: string, configDir: string, p: Prompter | undefined, warnings: string[], say: (m: string) => void): Promise<Answers> {
  const port = num(opts.port, '--port');
  const cpuFlag = num(opts.cpu, '--cpu');
  const memoryFlag = num(opts.memory, '--memory');
  const countFlag = num(opts.count, '--count');
  const minFlag = num(opts.min, '--min');
  const maxFlag = num(opts.max, '--max');
  const targetFlag = num(opts.targetCpu, '--target-cpu');
  const envFlag = (opts.envVars ?? []).map((kv) => parseEnvVar(kv));
  if (opts.image && opts.dockerfile) {
    throw new UsageError('--image and --dockerfile were both given.', 'Pass --image to run an existing image, or --dockerfile to build one, not both.');
  }

  const app =
    opts.name ??
    (p
      ? await p.input({ message: 'App name', default: defaultAppName(cwd), validate: (v) => zodCheck(appName, v.trim()) })
      : defaultAppName(cwd)
    ).trim();

  const region =
    opts.region ??
    (await (async () => {
      const fallback = await defaultRegion(opts.profile);
      return p ? (await p.input({ message: 'AWS region', default: fallback, validate: (v) => zodCheck(configSchema.shape.region, v.trim()) })).trim() : fallback;
    })());

  const source = await askSource(opts, cwd, configDir, p, warnings);

  const finalPort = port ?? (p ? await p.number({ message: 'Container port (the port your app listens on)', default: defaults.port, min: 1, max: 65535 }) : defaults.port);

  let cpu: number;
  let memory: number;
  if (cpuFlag !== undefined || memoryFlag !== undefined) {
    cpu = cpuFlag ?? FARGATE_CPUS.find((c) => fargateMemoriesFor(c).includes(memoryFlag!)) ?? defaults.cpu;
    memory = memoryFlag ?? fargateMemoriesFor(cpu)[0] ?? defaults.memory;
  } else if (p) {
    const pick = await p.select({ message: 'Task size (CPU / memory)', choices: sizeChoices(), default: `${defaults.cpu}/${defaults.memory}` });
    [cpu, memory] = pick.split('/').map(Number) as [number, number];
  } else {
    cpu = defaults.cpu;
    memory = defaults.memory;
  }

  const desiredCount =
    countFlag ?? (p ? await p.number({ message: 'How many tasks to run', default: defaults.desiredCount, min: 0, max: 1000 }) : defaults.desiredCount);

  const healthCheckPath =
    opts.healthCheckPath ??
    (p
      ? (await p.input({ message: 'Health-check path', default: defaults.healthCheckPath, validate: (v) => (/^\/\S*$/.test(v.trim()) ? true : 'must start with / and contain no spaces') })).trim()
      : defaults.healthCheckPath);

  let autoscaling: Answers['autoscaling'];
  const scalingFlags = minFlag !== undefined || maxFlag !== undefined || targetFlag !== undefined;
  const wantScaling =
    opts.autoscaling !== false && (scalingFlags || !p || (await p.confirm({ message: 'Scale the number of tasks automatically with CPU load?', default: true })));
  if (wantScaling) {
    // Defaults stretch to include the desired count, so `--count 6 --yes` is still valid.
    const minDefault = Math.min(defaults.autoscaling.min, desiredCount);
    const min =
      minFlag ??
      (p
        ? await p.number({ message: 'Minimum tasks', default: minDefault, min: 0, max: 1000, validate: (v) => (v <= desiredCount ? true : `must be at most the desired count (${desiredCount})`) })
        : minDefault);
    const maxDefault = Math.max(defaults.autoscaling.max, desiredCount, min);
    const max =
      maxFlag ??
      (p
        ? await p.number({
            message: 'Maximum tasks',
            default: maxDefault,
            min: 1,
            max: 1000,
            validate: (v) => (v >= Math.max(min, desiredCount) ? true : `must be at least ${Math.max(min, desiredCount)} (the minimum and the desired count)`),
          })
        : maxDefault);
    const targetCpu =
      targetFlag ?? (p ? await p.number({ message: 'Target average CPU %', default: defaults.autoscaling.targetCpu, min: 10, max: 90 }) : defaults.autoscaling.targetCpu);
    autoscaling = { min, max, targetCpu };
  }

  let environment: Record<string, string>;
  if (envFlag.length > 0 || !p) {
    environment = Object.fromEntries(envFlag);
  } else {
    environment = {};
    for (;;) {
      const line = (
        await p.input({
          message: 'Environment variable (KEY=VALUE, empty to finish)',
          default: '',
          validate: (v) => (v.trim() === '' ? true : envVarProblem(v.trim()) ?? true),
        })
      ).trim();
      if (line === '') break;
      const [k, v] = parseEnvVar(line);
      environment[k] = v;
    }
  }

  const shape = await askShape(opts, p, { region, say });

  return { app, region, source, port: finalPort, cpu, memory, desiredCount, healthCheckPath, environment, ...(autoscaling ? { autoscaling } : {}), ...shape };
}

async function askSource(opts: InitOptions, cwd: string, configDir: string, p: Prompter | undefined, warnings: string[]): Promise<Source> {
  const context = opts.context ?? '.';
  const build = (dockerfile: string): Source => {
    if (!existsSync(path.resolve(cwd, dockerfile))) warnings.push(`There is no ${dockerfile} yet; deploy needs it to build the image.`);
    return { build: { context: relativeTo(configDir, cwd, context), dockerfile: relativeTo(configDir, cwd, dockerfile) } };
  };
  if (opts.image) return { image: opts.image.trim() };
  if (opts.dockerfile) return build(opts.dockerfile);

  const hasDockerfile = existsSync(path.join(cwd, 'Dockerfile'));
  if (!p) {
    if (hasDockerfile) return build('Dockerfile');
    throw new UsageError(
      'init needs to know which container to run, and there is no ./Dockerfile here.',
      'Pass --image nginx:1.27 to run an existing image, or --dockerfile ./Dockerfile to build one.',
      'init.source',
    );
  }
  const kind = await p.select<'image' | 'build'>({
    message: 'What should run?',
    choices: [
      { name: 'An existing image', value: 'image', description: 'e.g. nginx:1.27 or an image in your registry' },
      { name: 'Build from a Dockerfile', value: 'build', description: 'built locally and pushed to a private ECR repository' },
    ],
    default: hasDockerfile ? 'build' : 'image',
  });
  if (kind === 'image') {
    const image = await p.input({ message: 'Image URI', validate: (v) => (/^\S+$/.test(v.trim()) ? true : 'enter an image such as nginx:1.27') });
    return { image: image.trim() };
  }
  const dockerfile = await p.input({
    message: 'Dockerfile path',
    default: './Dockerfile',
    validate: (v) => (v.trim() === '' ? 'enter the path of a Dockerfile' : true),
  });
  return build(dockerfile.trim());
}

export function sizeChoices(): Choice<string>[] {
  const out: Choice<string>[] = [];
  for (const cpu of FARGATE_CPUS) {
    for (const memory of FARGATE_SIZES[cpu] ?? []) out.push({ name: sizeLabel(cpu, memory), value: `${cpu}/${memory}` });
  }
  return out;
}

export function sizeLabel(cpu: number, memory: number): string {
  return `${cpu / 1024} vCPU / ${memory} MiB`;
}

/** The cwd's folder name made into a valid app name ("My App_2" → "my-app-2"). */
export function defaultAppName(cwd: string): string {
  const name = path
    .basename(cwd)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return appName.safeParse(name).success ? name : 'my-app';
}

/** --region, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's region, then us-east-1. */
async function defaultRegion(profile?: string): Promise<string> {
  const fromEnv = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  try {
    // Loaded only here: reading the profile is the one thing init needs the SDK for.
    const { STSClient } = await import('@aws-sdk/client-sts');
    const client = new STSClient(profile ? { profile } : {});
    try {
      const region = await client.config.region();
      if (region) return region;
    } finally {
      client.destroy();
    }
  } catch {
    // No profile or no region in it: fall through to the default.
  }
  return 'us-east-1';
}

// ---------------------------------------------------------------------------------------
// Flag parsing and validation

function num(v: number | string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: "${v}" is not a number.`, `Pass a number, e.g. ${flag} ${exampleFor(flag)}.`);
  return n;
}

function exampleFor(flag: string): string {
  return { '--port': '8080', '--cpu': '256', '--memory': '512', '--count': '2', '--min': '1', '--max': '4', '--target-cpu': '60' }[flag] ?? '1';
}

function envVarProblem(kv: string): string | undefined {
  const eq = kv.indexOf('=');
  if (eq <= 0) return 'write it as KEY=VALUE';
  const key = kv.slice(0, eq);
  if (!isEnvVarName(key)) return ENV_VAR_NAME_PROBLEM.replace(/^is /, '');
  if (key.startsWith('AWS_') || key.startsWith('ECS_')) return 'names starting with AWS_ or ECS_ are reserved';
  return undefined;
}

function parseEnvVar(kv: string): [string, string] {
  const problem = envVarProblem(kv);
  // The value is never echoed back: it may be a secret.
  if (problem) throw new UsageError(`--env-var "${kv.split('=')[0]}": ${problem}.`, 'Pass --env-var KEY=VALUE, e.g. --env-var LOG_LEVEL=info.');
  const eq = kv.indexOf('=');
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

function zodCheck(schema: z.ZodType, v: string): true | string {
  const r = schema.safeParse(v);
  return r.success ? true : (r.error.issues[0]?.message ?? 'not valid');
}

const FLAG_FOR_FIELD: [RegExp, string][] = [
  [/^app$/, '--name'],
  [/^region$/, '--region'],
  [/^services\.[^.]+\.image$/, '--image'],
  [/^services\.[^.]+\.build\.dockerfile$/, '--dockerfile'],
  [/^services\.[^.]+\.build\.context$/, '--context'],
  [/^services\.[^.]+\.port$/, '--port'],
  [/^services\.[^.]+\.cpu$/, '--cpu'],
  [/^services\.[^.]+\.memory$/, '--memory'],
  [/^services\.[^.]+\.desiredCount$/, '--count'],
  [/^services\.[^.]+\.healthCheckPath$/, '--health-check-path'],
  [/^services\.[^.]+\.autoscaling\.min$/, '--min'],
  [/^services\.[^.]+\.autoscaling\.max$/, '--max'],
  [/^services\.[^.]+\.autoscaling\.targetCpu$/, '--target-cpu'],
  [/^services\.[^.]+\.environment(\..*)?$/, '--env-var'],
  [/^network\.vpcId$/, '--vpc-id'],
  [/^network\.publicSubnetIds(\..*)?$/, '--public-subnets'],
  [/^network\.privateSubnetIds(\..*)?$/, '--private-subnets'],
  [/^ec2\.instanceType$/, '--instance-type'],
];

/** Parse what we are about to write with the same loader deploy uses: init never writes a file deploy would reject. */
function validate(text: string, file: string): void {
  try {
    parseConfigText(text, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.problems.map((problem) => {
      const at = problem.indexOf(':');
      const field = at > 0 ? problem.slice(0, at) : '';
      const flag = FLAG_FOR_FIELD.find(([re]) => re.test(field))?.[1];
      return flag ? `${field} (${flag})${problem.slice(at)}` : problem;
    });
    throw new EcsKitError('init.invalid', `Some values are not valid, so nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      fix: 'Change the values named above (the flag in parentheses sets each one) and run init again.',
      exitCode: ExitCode.Usage,
    });
  }
}

// ---------------------------------------------------------------------------------------
// Rendering

/** The config as a plain object, in the same order and with the same defaults as the YAML template. */
function configObject(a: Answers): Record<string, unknown> {
  return {
    app: a.app,
    region: a.region,
    network: a.network.existing
      ? { ...a.network.existing }
      : { profile: a.network.profile, cidr: '10.0.0.0/16', ...(a.network.profile === 'production' ? { azs: a.network.azs, nat: a.network.nat } : {}) },
    cluster: { containerInsights: false },
    ecr: { keepImages: 10 },
    ...(a.ec2 ? { ec2: { ...EC2_SIZE, instanceType: a.ec2.instanceType } } : {}),
    services: {
      [SERVICE_NAME]: {
        ...a.source,
        port: a.port,
        path: '/',
        cpu: a.cpu,
        memory: a.memory,
        desiredCount: a.desiredCount,
        healthCheckPath: a.healthCheckPath,
        environment: a.environment,
        ...(a.autoscaling ? { autoscaling: a.autoscaling } : {}),
        logRetentionDays: 30,
        capacity: a.capacity,
      },
    },
  };
}

function renderYaml(template: string, a: Answers): string {
  const ind = '    ';
  const source =
    'image' in a.source
      ? [`${ind}# The image to run, from any registry the tasks can pull from (Docker Hub, ECR, GHCR, …).`, `${ind}image: ${scalar(a.source.image)}`]
      : [
          `${ind}# Built from this Dockerfile on each deploy and pushed to a private ECR repository.`,
          `${ind}# Both paths are relative to this file.`,
          `${ind}build:`,
          `${ind}  context: ${scalar(a.source.build.context)}`,
          `${ind}  dockerfile: ${scalar(a.source.build.dockerfile)}`,
        ];
  const envEntries = Object.entries(a.environment);
  const environment =
    envEntries.length === 0 ? [`${ind}environment: {}`] : [`${ind}environment:`, ...envEntries.map(([k, v]) => `${ind}  ${key(k)}: ${scalar(v)}`)];
  const s = a.autoscaling;
  const autoscaling = s
    ? [`${ind}# Runs between min and max tasks, adding or removing tasks to keep average CPU near targetCpu %.`, `${ind}autoscaling:`, `${ind}  min: ${s.min}`, `${ind}  max: ${s.max}`, `${ind}  targetCpu: ${s.targetCpu}`]
    : [
        `${ind}# Autoscaling is off. To add and remove tasks with CPU load, uncomment this`,
        `${ind}# (desiredCount must lie between min and max):`,
        `${ind}# autoscaling:`,
        `${ind}#   min: 1`,
        `${ind}#   max: 4`,
        `${ind}#   targetCpu: 60`,
      ];
  const values: Record<string, string> = {
    app: scalar(a.app),
    region: scalar(a.region),
    service: SERVICE_NAME,
    source: source.join('\n'),
    port: String(a.port),
    cpu: String(a.cpu),
    memory: String(a.memory),
    desiredCount: String(a.desiredCount),
    healthCheckPath: scalar(a.healthCheckPath),
    environment: environment.join('\n'),
    autoscaling: autoscaling.join('\n'),
    network: networkLines(a).join('\n'),
    capacity: a.capacity,
    ec2: a.ec2 ? `\n\n${ec2Lines(a.ec2.instanceType).join('\n')}` : '',
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`templates/ecs-kit.yml uses an unknown placeholder {{${name}}}`);
    return v;
  });
}

/** The Auto Scaling group size init writes (the schema's defaults, written out so they are easy to change). */
const EC2_SIZE = { min: EC2_DEFAULTS.min, max: EC2_DEFAULTS.max, desired: EC2_DEFAULTS.desired, spot: EC2_DEFAULTS.spot };

function ec2Lines(instanceType: string): string[] {
  return [
    '# EC2 container instances for services with capacity: ec2: an Auto Scaling group of',
    '# ECS-optimized Amazon Linux 2023 instances (billed per hour whether or not tasks run).',
    'ec2:',
    '  # Instance type. Each awsvpc task takes a network interface, so small types hold few tasks.',
    `  instanceType: ${scalar(instanceType)}`,
    '  # Instances in the group: min ≤ desired ≤ max; ECS managed scaling moves it within that range.',
    `  min: ${EC2_SIZE.min}`,
    `  max: ${EC2_SIZE.max}`,
    `  desired: ${EC2_SIZE.desired}`,
    '  # true runs Spot instances: cheaper, but EC2 may reclaim them with a 2-minute warning.',
    `  spot: ${EC2_SIZE.spot}`,
    '  # To pin the AMI instead of the latest ECS-optimized one: ami: ami-0abc1234',
  ];
}

const CIDR_LINES = [
  '  # The VPC\'s IPv4 address range, /16 to /24.',
  '  # To use a VPC you already have instead, set vpcId, publicSubnetIds (the load balancer,',
  '  # 2+ zones) and privateSubnetIds (the tasks); ecs-kit then never changes or deletes them.',
  '  # vpcId: vpc-0abc1234',
  '  # publicSubnetIds: [subnet-0aaa, subnet-0bbb]',
  '  # privateSubnetIds: [subnet-0ccc, subnet-0ddd]',
  '  cidr: 10.0.0.0/16',
];

function networkLines(a: Answers): string[] {
  const e = a.network.existing;
  if (e) {
    const list = (ids: string[]) => `[${ids.map(scalar).join(', ')}]`;
    return [
      '  # Your own VPC: ecs-kit only reads it and its subnets, and never changes or deletes them.',
      `  vpcId: ${scalar(e.vpcId)}`,
      '  # Subnets for the load balancer: at least 2, in different availability zones.',
      `  publicSubnetIds: ${list(e.publicSubnetIds)}`,
      '  # Subnets for the tasks (no public IPs). They need a route to the internet (a NAT gateway)',
      '  # or VPC endpoints for ECR and CloudWatch Logs. Empty: tasks run in the public subnets.',
      `  privateSubnetIds: ${list(e.privateSubnetIds)}`,
    ];
  }
  return [...profileLines(a), ...CIDR_LINES];
}

function profileLines(a: Answers): string[] {
  if (a.network.profile === 'learning') {
    return [
      '  # "learning": a new VPC with public subnets in two availability zones and no NAT',
      '  # gateway (the cheapest setup; tasks get public IPs, reachable only through the load balancer).',
      '  # "production" puts tasks in private subnets behind NAT gateways (billed per hour and per GB).',
      '  profile: learning',
    ];
  }
  return [
    '  # "production": public subnets for the load balancer and NAT gateways, private subnets for',
    '  # the tasks (no public IPs). Each NAT gateway is billed per hour plus per GB processed.',
    '  profile: production',
    '  # Availability zones to spread over: 2 or 3.',
    `  azs: ${a.network.azs}`,
    '  # NAT gateways: "single" (one, cheapest; outbound traffic depends on its zone) or',
    '  # "per-az" (one per zone: survives a zone outage, costs one NAT gateway per zone).',
    `  nat: ${a.network.nat}`,
  ];
}

/** A YAML scalar that reads back as exactly this string (plain when that is safe, else double-quoted). */
function scalar(v: string): string {
  if (v !== '' && !/[#\n]|^\s|\s$/.test(v)) {
    try {
      if (parseYaml(`k: ${v}`)?.k === v) return v;
    } catch {
      // not plain-safe; quote below
    }
  }
  return JSON.stringify(v);
}

function key(k: string): string {
  return isEnvVarName(k) ? k : JSON.stringify(k);
}

function describe(a: Answers): string {
  const what = 'image' in a.source ? a.source.image : `built from ${a.source.build.dockerfile}`;
  const tasks = `${a.desiredCount} task${a.desiredCount === 1 ? '' : 's'}`;
  const scaling = a.autoscaling ? `, autoscaling ${a.autoscaling.min}–${a.autoscaling.max} tasks at ${a.autoscaling.targetCpu}% CPU` : '';
  const env = Object.keys(a.environment).length;
  const envText = env > 0 ? `, ${env} environment variable${env === 1 ? '' : 's'}` : '';
  const where = a.capacity === 'ec2' ? `, on EC2 ${a.ec2?.instanceType ?? EC2_DEFAULT_INSTANCE_TYPE} instances` : a.capacity === 'fargate-spot' ? ', on Fargate Spot' : '';
  const vpc = a.network.existing ? `, in ${a.network.existing.vpcId}` : '';
  return `${what} on port ${a.port}, ${sizeLabel(a.cpu, a.memory)}, ${tasks}${scaling}${envText}${where}${vpc}`;
}

function relativeTo(configDir: string, cwd: string, p: string): string {
  const rel = path.relative(configDir, path.resolve(cwd, p)).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

function displayPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}
