import type { Subnet, Vpc } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../../aws/clients.js';
import type { WarningCode } from '../../../engine/messages.js';
import type { Prompter } from '../../prompts.js';
import type { ExistingVpc } from './answers.js';
import { idList, idListProblem, type InitOptions } from './flags.js';

/** What the VPC questions need besides flags: where to look for VPCs and how to tell the person something. */
export interface ShapeEnv {
  region: string;
  say: (code: WarningCode, message: string) => void;
}

const VPC_ID_RE = /^vpc-[0-9a-f]+$/;
const SUBNET_ID_RE = /^subnet-[0-9a-f]+$/;

/**
 * Bring your own VPC. Flags are taken as given (deploy checks them against the account);
 * a person is shown the account's VPCs and subnets to pick from, or asked for the ids
 * when they cannot be listed.
 */
export async function askExistingVpc(opts: InitOptions, p: Prompter | undefined, env: ShapeEnv): Promise<ExistingVpc> {
  const flags: SubnetFlags = { publicIds: idList(opts.publicSubnets), privateIds: idList(opts.privateSubnets) };
  const vpcFlag = opts.vpcId?.trim();
  if (!p) return { vpcId: vpcFlag ?? '', publicSubnetIds: flags.publicIds ?? [], privateSubnetIds: flags.privateIds ?? [] };
  if (vpcFlag !== undefined && flags.publicIds !== undefined) {
    return { vpcId: vpcFlag, publicSubnetIds: flags.publicIds, privateSubnetIds: flags.privateIds ?? [] };
  }

  const { AwsClients } = await import('../../../aws/clients.js');
  const aws = new AwsClients({ region: env.region, profile: opts.profile, endpoint: opts.endpointUrl, maxAttempts: opts.maxAttempts });
  try {
    const vpcId = vpcFlag ?? (await pickVpc(aws, p, env));
    if (vpcId === undefined) return await typeIds(p, undefined, flags.publicIds, flags.privateIds);
    const subnets = await listSubnets(aws, vpcId).catch((err: unknown) => {
      env.say(
        'init.cannot-list',
        `Could not list the subnets of ${vpcId} (${awsReason(err)}), so type their ids instead. Deploy checks them.`,
      );
      return undefined;
    });
    if (!subnets) return await typeIds(p, vpcId, flags.publicIds, flags.privateIds);
    if (new Set(subnets.map((s) => s.AvailabilityZone)).size < 2) {
      env.say(
        'init.few-zones',
        `${vpcId} has subnets in fewer than 2 availability zones; the load balancer needs public subnets in 2. ` +
          'Type the ids of subnets to use (create them first).',
      );
      return await typeIds(p, vpcId, flags.publicIds, flags.privateIds);
    }
    return { vpcId, ...(await pickSubnets(p, subnets, flags)) };
  } finally {
    aws.destroy();
  }
}

/** --public-subnets / --private-subnets, when given. */
interface SubnetFlags {
  publicIds?: string[];
  privateIds?: string[];
}

/** One of the account's VPCs; undefined when there are none or they cannot be listed (then the ids are typed). */
async function pickVpc(aws: AwsClients, p: Prompter, env: ShapeEnv): Promise<string | undefined> {
  const vpcs = await listVpcs(aws).catch((err: unknown) => {
    env.say(
      'init.cannot-list',
      `Could not list the VPCs in ${env.region} (${awsReason(err)}), so type the ids instead. Deploy checks them.`,
    );
    return undefined;
  });
  if (vpcs?.length === 0) env.say('init.no-vpcs', `There are no VPCs in ${env.region} to choose from; type the ids of the VPC to use.`);
  if (!vpcs?.length) return undefined;
  return p.select<string>({
    message: 'VPC',
    choices: vpcs.map((v) => ({
      name: [v.VpcId, v.CidrBlock, nameTag(v.Tags)].filter(Boolean).join('  '),
      value: v.VpcId!,
      ...(v.IsDefault ? { description: 'the default VPC' } : {}),
    })),
  });
}

/** Public subnets (pre-ticked: those that give public IPs; 2+ zones), then private ones among the rest. */
async function pickSubnets(p: Prompter, subnets: Subnet[], flags: SubnetFlags): Promise<Omit<ExistingVpc, 'vpcId'>> {
  const label = (s: Subnet) => [s.SubnetId, s.AvailabilityZone, s.CidrBlock, nameTag(s.Tags)].filter(Boolean).join('  ');
  const describeIp = (s: Subnet) =>
    s.MapPublicIpOnLaunch ? 'gives instances public IPs (usually a public subnet)' : 'no public IPs on launch (usually a private subnet)';
  const publicSubnetIds =
    flags.publicIds ??
    (await p.checkbox<string>({
      message: 'Public subnets for the load balancer (2+ availability zones)',
      choices: subnets.map((s) => ({
        name: label(s),
        value: s.SubnetId!,
        description: describeIp(s),
        checked: Boolean(s.MapPublicIpOnLaunch),
      })),
      validate: (ids) => {
        const zones = new Set(ids.map((id) => subnets.find((s) => s.SubnetId === id)?.AvailabilityZone));
        return zones.size >= 2 ? true : 'pick subnets in at least 2 availability zones';
      },
    }));
  const rest = subnets.filter((s) => !publicSubnetIds.includes(s.SubnetId!));
  const privateSubnetIds =
    flags.privateIds ??
    (rest.length === 0
      ? []
      : await p.checkbox<string>({
          message: 'Private subnets for the tasks (none: tasks run in the public subnets with public IPs)',
          choices: rest.map((s) => ({ name: label(s), value: s.SubnetId!, description: describeIp(s), checked: !s.MapPublicIpOnLaunch })),
        }));
  return { publicSubnetIds, privateSubnetIds };
}

async function typeIds(
  p: Prompter,
  vpcFlag: string | undefined,
  publicFlag: string[] | undefined,
  privateFlag: string[] | undefined,
): Promise<ExistingVpc> {
  const vpcId =
    vpcFlag ??
    (
      await p.input({ message: 'VPC id', validate: (v) => (VPC_ID_RE.test(v.trim()) ? true : 'enter a VPC id such as vpc-0abc1234') })
    ).trim();
  const publicSubnetIds =
    publicFlag ??
    idList(
      await p.input({
        message: 'Public subnet ids for the load balancer (2+ zones, comma-separated)',
        validate: (v) => idListProblem(v, SUBNET_ID_RE, 'subnet-0abc1234', 2),
      }),
    ) ??
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

async function listVpcs(aws: AwsClients): Promise<Vpc[]> {
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

async function listSubnets(aws: AwsClients, vpcId: string): Promise<Subnet[]> {
  const { DescribeSubnetsCommand } = await import('@aws-sdk/client-ec2');
  const out: Subnet[] = [];
  let token: string | undefined;
  do {
    const page = await aws.ec2().send(
      new DescribeSubnetsCommand({
        Filters: [{ Name: 'vpc-id', Values: [vpcId] }],
        MaxResults: 1000,
        ...(token ? { NextToken: token } : {}),
      }),
    );
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
