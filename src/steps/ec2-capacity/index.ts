import { createHash, randomUUID } from 'node:crypto';
import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
  type CreateAutoScalingGroupCommandInput,
  type LaunchTemplateSpecification,
  type MixedInstancesPolicy,
  type UpdateAutoScalingGroupCommandInput,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  type Image,
  paginateDescribeLaunchTemplates,
  type LaunchTemplate,
  type LaunchTemplateVersion,
  type _InstanceType,
  type RequestLaunchTemplateData,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  CreateCapacityProviderCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  PutClusterCapacityProvidersCommand,
  UpdateCapacityProviderCommand,
  type CapacityProvider,
  type CapacityProviderStrategyItem,
  type Cluster,
} from '@aws-sdk/client-ecs';
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfileTags,
  paginateListInstanceProfilesForRole,
  paginateListRoleTags,
  RemoveRoleFromInstanceProfileCommand,
  waitUntilInstanceProfileExists,
  waitUntilRoleExists,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { isAwsError, messageIncludes } from '../../aws/errors.js';
import { retryWhile, sleep } from '../../aws/retry.js';
import { alreadyDone, createOnce } from '../../aws/idempotent.js';
import { isIamPropagation, isServiceLinkedRoleNotReady, retryPropagation } from '../../aws/propagation.js';
import { prepareServiceLinkedRole, retryWhileRoleIsNew } from '../../aws/service-linked-roles.js';
import { ecsTags, isOwnedBy, ownerTags } from '../../aws/tags.js';
import { cpuArchitectureOf, type CpuArchitecture } from '../../config/architecture.js';
import { EC2_DEFAULTS, type Config } from '../../config/schema.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError, ExitCode } from '../../errors.js';
import { capacityProviderName, strategyKey } from '../../capacity/strategy.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { ec2Tags } from '../../aws/ec2-tags.js';
import { notOwnedError } from '../../aws/ownership.js';
import type { IngressRule } from '../../aws/security-group-rules.js';
import { applySecurityGroup, destroySecurityGroup, planSecurityGroup, type SecurityGroupPlan } from '../../aws/security-groups.js';
import { requireIds } from '../../engine/require-ids.js';
import { taskPlacement } from '../network/index.js';
import { partitionOf } from '../../aws/partition.js';
import type { ClusterState, LoadBalancerState, NetworkState } from '../states.js';

/** EC2 container instances for services with capacity: ec2. */
export interface CapacityState {
  roleName: string;
  roleArn: string;
  instanceProfileName: string;
  instanceProfileArn: string;
  securityGroupId: string;
  launchTemplateId: string;
  launchTemplateName: string;
  autoScalingGroupName: string;
  autoScalingGroupArn: string;
  capacityProviderName: string;
  clusterName: string;
}

type Ctx = StepContext<CapacityState>;

// ---------------------------------------------------------------------------------------
// Pure pieces.

/**
 * The public SSM parameters AWS keeps pointing at the current ECS-optimized Amazon Linux 2023 AMI, one per CPU
 * architecture (ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata"). An x86_64 AMI on a
 * Graviton type (or the reverse) never launches.
 */
export const ECS_AMI_PARAMETERS: Readonly<Record<CpuArchitecture, string>> = {
  X86_64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  ARM64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
};
export const ECS_AMI_PARAMETER = ECS_AMI_PARAMETERS.X86_64;

/** ECS's default ephemeral range: bridge-mode tasks get host ports from it (hostPort 0). */
export const DYNAMIC_PORTS = { from: 32768, to: 65535 };

export interface Ec2Settings {
  instanceType: string;
  ami?: string;
  min: number;
  max: number;
  desired: number;
  spot: boolean;
}

/** `ec2:` from the config, or its defaults when the block is left out. */
export function ec2Settings(config: Config | undefined): Ec2Settings {
  return config?.ec2 ?? { ...EC2_DEFAULTS };
}

export function usesEc2(config: Config): boolean {
  return Object.values(config.services).some((s) => s.capacity === 'ec2');
}

/** Bridge-mode services behind the load balancer: the ALB reaches them on the instances' dynamic ports. */
function needsLbIngress(config: Config | undefined): boolean {
  return Object.values(config?.services ?? {}).some((s) => s.capacity === 'ec2' && s.networkMode === 'bridge' && s.port !== undefined);
}

/**
 * Base64 user data that makes the ECS agent join `cluster`. ECS_AWSVPC_BLOCK_IMDS stops awsvpc
 * tasks from borrowing the instance role through the metadata service (least privilege).
 */
export function userData(cluster: string): string {
  const script = `#!/bin/bash\necho ECS_CLUSTER=${cluster} >> /etc/ecs/ecs.config\necho ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config\n`;
  return Buffer.from(script, 'utf8').toString('base64');
}

export interface LaunchTemplateInput {
  cluster: string;
  imageId: string;
  instanceType: string;
  instanceProfileArn: string;
  securityGroupId: string;
  /** Instances in public subnets (learning profile) need a public IP to reach ECS and ECR. */
  publicIp: boolean;
  owner: { app: string; env: string };
  name: string;
}

/** The launch template data for the container instances. */
export function renderLaunchTemplate(o: LaunchTemplateInput): RequestLaunchTemplateData {
  const tags = ec2Tags(o.owner, 'container-instance', o.name);
  return {
    ImageId: o.imageId,
    InstanceType: o.instanceType as _InstanceType,
    IamInstanceProfile: { Arn: o.instanceProfileArn },
    // A security group goes on the network interface when the interface itself is specified.
    ...(o.publicIp
      ? { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: [o.securityGroupId], DeleteOnTermination: true }] }
      : { SecurityGroupIds: [o.securityGroupId] }),
    UserData: userData(o.cluster),
    // IMDSv2 only; hop limit 1 keeps bridge-mode containers (one hop further) away from the instance role.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/** The launch template fields that differ (only fields the API returned are compared). */
export function launchTemplateChanges(actual: ResponseLaunchTemplateData, wanted: RequestLaunchTemplateData): Change[] {
  const changes: Change[] = [];
  const check = (field: string, before: unknown, after: unknown) => {
    if (before !== undefined && JSON.stringify(before) !== JSON.stringify(after)) changes.push({ field: `launchTemplate.${field}`, before, after });
  };
  check('imageId', actual.ImageId, wanted.ImageId);
  check('instanceType', actual.InstanceType, wanted.InstanceType);
  check('instanceProfile', actual.IamInstanceProfile?.Arn, wanted.IamInstanceProfile?.Arn);
  check('userData', actual.UserData, wanted.UserData);
  check('httpTokens', actual.MetadataOptions?.HttpTokens, wanted.MetadataOptions?.HttpTokens);
  check('httpPutResponseHopLimit', actual.MetadataOptions?.HttpPutResponseHopLimit, wanted.MetadataOptions?.HttpPutResponseHopLimit);
  const groups = (d: ResponseLaunchTemplateData | RequestLaunchTemplateData) =>
    [...(d.SecurityGroupIds ?? []), ...(d.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])].sort();
  const actualGroups = groups(actual);
  if (actualGroups.length || actual.SecurityGroupIds || actual.NetworkInterfaces) check('securityGroups', actualGroups, groups(wanted));
  const publicIp = (d: ResponseLaunchTemplateData | RequestLaunchTemplateData) => d.NetworkInterfaces?.[0]?.AssociatePublicIpAddress ?? false;
  if (publicIp(actual) !== publicIp(wanted)) changes.push({ field: 'launchTemplate.publicIp', before: publicIp(actual), after: publicIp(wanted) });
  return changes;
}

/**
 * The ClientToken of a new launch template version: the same for the same template, base version and content, so a
 * retry returns the version it made; the next change starts from a newer base, so an old version is never replayed.
 */
export function launchTemplateVersionToken(templateId: string, baseVersion: number | undefined, data: RequestLaunchTemplateData): string {
  return createHash('sha256').update(`${templateId}/${baseVersion ?? '?'}/${JSON.stringify(data)}`).digest('hex').slice(0, 64);
}

/** Spot: every instance above the (zero) on-demand base is Spot, from the deepest pools. */
export function mixedInstancesPolicy(launchTemplate: LaunchTemplateSpecification): MixedInstancesPolicy {
  return {
    LaunchTemplate: { LaunchTemplateSpecification: launchTemplate },
    InstancesDistribution: { OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: 'price-capacity-optimized' },
  };
}

export function instanceTrustPolicy(): Record<string, unknown> {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
}

export function instancePolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`;
}

// ---------------------------------------------------------------------------------------
// Reads.

async function getRole(ctx: Ctx, name: string): Promise<Role | undefined> {
  try {
    return (await ctx.aws.iam().send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

// IAM lists page (IsTruncated/Marker) and "might return fewer than MaxItems even when there are more" (IAM API
// reference, e.g. ListAttachedRolePolicies): every IAM list here follows its paginator to the end.
async function all<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

async function roleOwned(ctx: Ctx, role: Role): Promise<boolean> {
  const tags = role.Tags ?? (await all(paginateListRoleTags({ client: ctx.aws.iam() }, { RoleName: role.RoleName }), (p) => p.Tags));
  return isOwnedBy(tags, ctx.owner);
}

async function getInstanceProfile(ctx: Ctx, name: string): Promise<InstanceProfile | undefined> {
  try {
    return (await ctx.aws.iam().send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

async function profileOwned(ctx: Ctx, profile: InstanceProfile): Promise<boolean> {
  const pages = paginateListInstanceProfileTags({ client: ctx.aws.iam() }, { InstanceProfileName: profile.InstanceProfileName });
  const tags = profile.Tags ?? (await all(pages, (p) => p.Tags));
  return isOwnedBy(tags, ctx.owner);
}

async function findLaunchTemplate(ctx: Ctx, name: string): Promise<LaunchTemplate | undefined> {
  // A name filter answers "none" with an empty list; LaunchTemplateNames would throw instead. A filtered EC2
  // Describe may return a page without the match and a NextToken, so follow it until found.
  for await (const page of paginateDescribeLaunchTemplates({ client: ctx.aws.ec2() }, { Filters: [{ Name: 'launch-template-name', Values: [name] }] })) {
    const found = page.LaunchTemplates?.find((t) => t.LaunchTemplateName === name);
    if (found) return found;
  }
  return undefined;
}

/** The $Latest version: one version, so one page. */
async function latestVersion(ctx: Ctx, id: string): Promise<LaunchTemplateVersion | undefined> {
  const out = await ctx.aws.ec2().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Latest'] }));
  return out.LaunchTemplateVersions?.[0];
}

/** One group by name: one page (MaxRecords defaults to 50). */
async function findAsg(ctx: Ctx, name: string): Promise<AutoScalingGroup | undefined> {
  const out = await ctx.aws.ec2AutoScaling().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
}

/** An ACTIVE capacity provider; a deleted one stays listed as INACTIVE for a while. One name: one page. */
async function findCapacityProvider(ctx: Ctx, name: string): Promise<CapacityProvider | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeCapacityProvidersCommand({ capacityProviders: [name], include: ['TAGS'] }));
  const cp = out.capacityProviders?.find((c) => c.name === name);
  return cp && cp.status !== 'INACTIVE' ? cp : undefined;
}

/** DescribeClusters does not page. */
async function describeCluster(ctx: Ctx, name: string): Promise<Cluster | undefined> {
  const out = await ctx.aws.ecs().send(new DescribeClustersCommand({ clusters: [name] }));
  const c = out.clusters?.[0];
  return c && c.status !== 'INACTIVE' ? c : undefined;
}

const asgTag = (ctx: Ctx, key: string, value: string) => ({ Key: key, Value: value, PropagateAtLaunch: true, ResourceId: ctx.names.autoScalingGroup, ResourceType: 'auto-scaling-group' });

function wantedDefaultStrategy(cp: string): CapacityProviderStrategyItem[] {
  return [{ capacityProvider: cp, weight: 1, base: 0 }];
}

// ---------------------------------------------------------------------------------------
// The instances' CPU architecture and AMI (reads only; the plan does this first).

/** x86_64 or arm64 from DescribeInstanceTypes' ProcessorInfo.SupportedArchitectures (x86 types may add i386; Mac types say *_mac). */
export function architectureOf(supported: readonly string[] | undefined): CpuArchitecture | undefined {
  if (supported?.includes('arm64')) return 'ARM64';
  if (supported?.includes('x86_64')) return 'X86_64';
  return undefined;
}

const archName = (a: CpuArchitecture) => (a === 'ARM64' ? 'arm64' : 'x86_64');

/** The instance type's architecture, from EC2 itself: family names (t4g, a1, c7gn, g5g …) are not a reliable guide. */
async function instanceArchitecture(ctx: Ctx, instanceType: string): Promise<CpuArchitecture> {
  let supported: string[] | undefined;
  let found = false;
  try {
    // One named type: one page.
    const out = await ctx.aws.ec2().send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }));
    const info = out.InstanceTypes?.find((t) => t.InstanceType === instanceType);
    found = info !== undefined;
    supported = info?.ProcessorInfo?.SupportedArchitectures;
  } catch (err) {
    // "InvalidInstanceType: The following supplied instance types do not exist: [t9.small]" (EC2 DescribeInstanceTypes).
    if (!isAwsError(err, 'InvalidInstanceType', 'InvalidParameterValue')) throw err;
  }
  if (!found) {
    throw new EcsKitError('capacity.unknown-instance-type', `ec2.instanceType: EC2 does not offer instance type ${instanceType} in ${ctx.region}.`, {
      why: 'The container instances are launched with this type; EC2 rejects a type it does not know (a typo, or a type this region does not have).',
      fix: 'Set ec2.instanceType to an instance type available in this region, e.g. t3.small (x86_64) or t4g.small (arm64, Graviton).',
      exitCode: ExitCode.Usage,
    });
  }
  const arch = architectureOf(supported);
  if (!arch) {
    const runs = supported?.join(', ') || 'an unknown architecture';
    throw new EcsKitError('capacity.unsupported-instance-type', `ec2.instanceType: ${instanceType} runs ${runs}, not x86_64 or arm64.`, {
      why: 'ECS-optimized Amazon Linux AMIs exist only for x86_64 and arm64 instances.',
      fix: 'Set ec2.instanceType to an x86_64 type (e.g. t3.small) or an arm64 Graviton type (e.g. t4g.small).',
      exitCode: ExitCode.Usage,
    });
  }
  return arch;
}

/**
 * Services with capacity: ec2 run on the instances, so on the instances' architecture: an image built for the
 * other one fails with "exec format error". Refused before any change, naming both fields.
 */
export function checkServiceArchitectures(config: Config | undefined, host: CpuArchitecture, instanceType: string): void {
  const wrong = Object.entries(config?.services ?? {}).filter(([, svc]) => svc.capacity === 'ec2' && cpuArchitectureOf(svc) !== host);
  if (!wrong.length) return;
  const names = wrong.map(([name]) => name);
  const fields = names.map((name) => `services.${name}.cpuArchitecture`).join(', ');
  const services = names.map((name) => `services.${name}`).join(', ');
  const other = host === 'ARM64' ? 'X86_64' : 'ARM64';
  const message = `${fields}: ${names.join(', ')} run${names.length === 1 ? 's' : ''} on ${archName(other)}, but ec2.instanceType ${instanceType} is ${archName(host)}.`;
  throw new EcsKitError('capacity.architecture-mismatch', message, {
    why: 'Services with capacity: ec2 run on the container instances, and a container built for one CPU architecture cannot run on the other.',
    fix:
      host === 'ARM64'
        ? `Set cpuArchitecture: arm64 on ${services} (built images then target linux/arm64; an image: must have an arm64 variant), ` +
          'or choose an x86_64 ec2.instanceType such as t3.small.'
        : `Set cpuArchitecture: x86_64 (and build.platform linux/amd64, if set) on ${services}, or choose an arm64 (Graviton) ec2.instanceType such as t4g.small.`,
    exitCode: ExitCode.Usage,
  });
}

/** ec2.ami as configured: trusted, but it must exist here and match the instance type's architecture (else every launch fails). */
async function checkConfiguredAmi(ctx: Ctx, ami: string, host: CpuArchitecture): Promise<void> {
  let image: Image | undefined;
  try {
    // One image id: one page.
    image = (await ctx.aws.ec2().send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images?.find((i) => i.ImageId === ami);
  } catch (err) {
    if (!isAwsError(err, 'InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable')) throw err;
  }
  if (!image) {
    throw new EcsKitError('capacity.ami-not-found', `ec2.ami: ${ami} is not an AMI this account can launch in ${ctx.region}.`, {
      why: 'AMI ids are per region, and a private AMI must be shared with this account.',
      fix: 'Set ec2.ami to an ECS-optimized AMI id from this region, or remove ec2.ami to use the current ECS-optimized Amazon Linux 2023 AMI.',
      exitCode: ExitCode.Usage,
    });
  }
  // CreateAutoScalingGroup: "The architecture 'arm64' of the specified instance type does not match the architecture
  // 'x86_64' of the specified AMI" (masterpointio/terraform-aws-ssm-agent#25). Compare only what the API returned.
  const amiArch = image.Architecture === 'arm64' ? 'ARM64' : image.Architecture === 'x86_64' ? 'X86_64' : undefined;
  if (image.Architecture !== undefined && amiArch !== host) {
    const instanceType = ec2Settings(ctx.config).instanceType;
    throw new EcsKitError('capacity.ami-architecture', `ec2.ami: ${ami} is an ${image.Architecture} AMI, but ec2.instanceType ${instanceType} is ${archName(host)}.`, {
      why: 'EC2 launches an instance only from an AMI built for its CPU architecture.',
      fix: `Set ec2.ami to an ${archName(host)} ECS-optimized AMI, choose an instance type of the AMI's architecture, or remove ec2.ami.`,
      exitCode: ExitCode.Usage,
    });
  }
}

/** The AMI for the instances: ec2.ami, or the current ECS-optimized Amazon Linux 2023 AMI for their architecture. */
async function hostImage(ctx: Ctx, host: CpuArchitecture): Promise<string> {
  const configured = ec2Settings(ctx.config).ami;
  if (configured) {
    await checkConfiguredAmi(ctx, configured, host);
    return configured;
  }
  const parameter = ECS_AMI_PARAMETERS[host];
  try {
    const out = await ctx.aws.ssm().send(new GetParameterCommand({ Name: parameter }));
    const value = out.Parameter?.Value;
    if (typeof value === 'string' && value.startsWith('ami-')) return value;
  } catch (err) {
    if (!isAwsError(err, 'ParameterNotFound')) throw err;
  }
  const what = `the ${archName(host)} ECS-optimized Amazon Linux 2023 AMI in ${ctx.region} (SSM parameter ${parameter})`;
  throw new EcsKitError('capacity.no-ami', `Could not find ${what}.`, {
    why: 'The container instances need an AMI with the ECS agent; AWS publishes its id in that public parameter, but this region or account did not return it.',
    fix: `Set ec2.ami in ecs-kit.yml to an ${archName(host)} ECS-optimized AMI id for this region (e.g. ami-0abc1234).`,
  });
}

/**
 * awsvpc tasks on EC2 instances never get a public IP (ECS Developer Guide, service-configure-network: on EC2, awsvpc
 * tasks need private subnets with a NAT for outbound access). With public subnets only (learning profile, or an own
 * VPC without privateSubnetIds) they have no outbound internet. A warning, not a refusal: the deploy works and so does
 * an app that needs no outbound calls (the ALB reaches the task; the agent pulls the image, ships logs and fetches
 * secrets over the instance's network).
 */
export function awsvpcWithoutNatWarning(config: Config | undefined): string | undefined {
  if (!config) return undefined;
  const net = config.network;
  const privateSubnets = net.vpcId ? (net.privateSubnetIds?.length ?? 0) > 0 : net.profile === 'production';
  if (privateSubnets) return undefined;
  const names = Object.entries(config.services).filter(([, svc]) => svc.capacity === 'ec2' && svc.networkMode === 'awsvpc').map(([name]) => name);
  if (!names.length) return undefined;
  const fields = names.map((name) => `services.${name}.networkMode`).join(', ');
  return (
    `${fields}: awsvpc tasks on EC2 get no public IP, and ${net.vpcId ? 'network.privateSubnetIds is empty' : 'the learning network has no NAT gateway'}, ` +
    `so ${names.join(', ')} cannot reach the internet or AWS APIs (serving traffic from the load balancer works). ` +
    `If the app needs outbound access, use network.profile: production (private subnets + NAT), your own VPC with privateSubnetIds, or networkMode: bridge.`
  );
}

/**
 * First in the plan, before the dependencies are read: a wrong architecture or an unknown instance type is refused
 * at preview, even on a first deploy, before any step changes anything.
 */
async function planHost(ctx: Ctx): Promise<string> {
  const s = ec2Settings(ctx.config);
  const host = await instanceArchitecture(ctx, s.instanceType);
  checkServiceArchitectures(ctx.config, host, s.instanceType);
  return hostImage(ctx, host);
}

// ---------------------------------------------------------------------------------------

interface Deps {
  cluster: string;
  network: NetworkState;
  lbSecurityGroupId?: string;
}

function deps(ctx: Ctx): Deps {
  const network = ctx.dep<NetworkState>('network');
  requireIds('network', network.vpcId);
  const cluster = ctx.dep<ClusterState>('cluster').clusterName;
  requireIds('cluster', cluster);
  if (!needsLbIngress(ctx.config)) return { cluster, network };
  const lb = ctx.dep<LoadBalancerState>('load-balancer');
  requireIds('load-balancer', lb.securityGroupId);
  return { cluster, network, lbSecurityGroupId: lb.securityGroupId };
}

function wantedIngress(d: Deps): IngressRule[] {
  if (!d.lbSecurityGroupId) return [];
  return [
    { protocol: 'tcp', fromPort: DYNAMIC_PORTS.from, toPort: DYNAMIC_PORTS.to, source: { kind: 'group', value: d.lbSecurityGroupId }, description: 'bridge-mode tasks, from the ecs-kit load balancer' },
  ];
}

interface PlanData {
  ami: string;
  role?: { arn: string; attach: boolean };
  profile?: { arn: string; addRole: boolean };
  sg: SecurityGroupPlan;
  /** `version`: the $Latest version number the plan saw (the base a new version is made on). */
  lt?: { id: string; newVersion: boolean; version?: number };
  asg?: { arn: string; update?: Omit<UpdateAutoScalingGroupCommandInput, 'AutoScalingGroupName'> };
  cp?: { arn: string; update: boolean };
  attach: boolean;
}

function asgDrift(ctx: Ctx, asg: AutoScalingGroup, ltId: string | undefined, subnets: string[], changes: Change[]): PlanData['asg'] {
  const s = ec2Settings(ctx.config);
  const update: Omit<UpdateAutoScalingGroupCommandInput, 'AutoScalingGroupName'> = {};
  const add = (field: string, before: unknown, after: unknown) => changes.push({ field: `autoScalingGroup.${field}`, before, after });
  if (asg.MinSize !== undefined && asg.MinSize !== s.min) (update.MinSize = s.min), add('min', asg.MinSize, s.min);
  if (asg.MaxSize !== undefined && asg.MaxSize !== s.max) (update.MaxSize = s.max), add('max', asg.MaxSize, s.max);
  // ECS managed scaling moves the desired count between min and max; step in only outside that range.
  const desired = asg.DesiredCapacity;
  if (desired !== undefined && (desired < s.min || desired > s.max)) {
    update.DesiredCapacity = Math.min(Math.max(desired, s.min), s.max);
    add('desired', desired, update.DesiredCapacity);
  }
  const actualSubnets = (asg.VPCZoneIdentifier ?? '').split(',').filter(Boolean).sort();
  if (asg.VPCZoneIdentifier !== undefined && actualSubnets.join(',') !== [...subnets].sort().join(',')) {
    update.VPCZoneIdentifier = subnets.join(',');
    add('subnets', actualSubnets, [...subnets].sort());
  }
  if (asg.NewInstancesProtectedFromScaleIn === false) (update.NewInstancesProtectedFromScaleIn = true), add('newInstancesProtectedFromScaleIn', false, true);
  const spec: LaunchTemplateSpecification = { LaunchTemplateId: ltId, Version: '$Latest' };
  const actualSpec = asg.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification ?? asg.LaunchTemplate;
  const spot = asg.MixedInstancesPolicy !== undefined;
  const specDrift = !ltId || actualSpec?.LaunchTemplateId !== ltId || (actualSpec?.Version !== undefined && actualSpec.Version !== '$Latest');
  if (spot !== s.spot || specDrift) {
    if (s.spot) update.MixedInstancesPolicy = mixedInstancesPolicy(spec);
    else update.LaunchTemplate = spec;
    add(spot !== s.spot ? 'spot' : 'launchTemplate', spot !== s.spot ? spot : actualSpec?.LaunchTemplateId, spot !== s.spot ? s.spot : `${ltId ?? '(new)'} $Latest`);
  }
  return { arn: asg.AutoScalingGroupARN ?? '', ...(Object.keys(update).length ? { update } : {}) };
}

// ---------------------------------------------------------------------------------------
// Plan, one resource at a time (reads only). Each adds its changes and returns undefined when the resource is missing.

async function planInstanceIam(ctx: Ctx, changes: Change[]): Promise<Pick<PlanData, 'role' | 'profile'>> {
  const n = ctx.names;
  const out: Pick<PlanData, 'role' | 'profile'> = {};
  const role = await getRole(ctx, n.instanceRole);
  if (!role) {
    changes.push({ field: 'instanceRole', after: `${n.instanceRole} (AmazonEC2ContainerServiceforEC2Role)` });
  } else {
    if (!(await roleOwned(ctx, role))) throw notOwnedError('capacity.role-not-owned', `An IAM role named ${n.instanceRole}`, ctx.owner);
    const attached = await all(paginateListAttachedRolePolicies({ client: ctx.aws.iam() }, { RoleName: n.instanceRole }), (p) => p.AttachedPolicies);
    const attach = !attached.some((p) => p.PolicyArn === instancePolicyArn(ctx.region));
    if (attach) changes.push({ field: 'instanceRole.managedPolicies', after: [instancePolicyArn(ctx.region)] });
    out.role = { arn: role.Arn ?? '', attach };
  }

  const profile = await getInstanceProfile(ctx, n.instanceProfile);
  if (!profile) {
    changes.push({ field: 'instanceProfile', after: n.instanceProfile });
  } else {
    if (!(await profileOwned(ctx, profile))) throw notOwnedError('capacity.profile-not-owned', `An instance profile named ${n.instanceProfile}`, ctx.owner);
    const addRole = !(profile.Roles ?? []).some((r) => r.RoleName === n.instanceRole);
    if (addRole) changes.push({ field: 'instanceProfile.role', before: (profile.Roles ?? []).map((r) => r.RoleName), after: [n.instanceRole] });
    out.profile = { arn: profile.Arn ?? '', addRole };
  }
  return out;
}

async function planLaunchTemplate(ctx: Ctx, wanted: RequestLaunchTemplateData, changes: Change[]): Promise<PlanData['lt']> {
  const n = ctx.names;
  const lt = await findLaunchTemplate(ctx, n.launchTemplate);
  if (!lt) {
    changes.push({ field: 'launchTemplate', after: `${n.launchTemplate} (${wanted.InstanceType}, ${wanted.ImageId})` });
    return undefined;
  }
  if (!isOwnedBy(lt.Tags, ctx.owner)) throw notOwnedError('capacity.lt-not-owned', `A launch template named ${n.launchTemplate}`, ctx.owner);
  const latest = await latestVersion(ctx, lt.LaunchTemplateId!);
  const ltChanges = launchTemplateChanges(latest?.LaunchTemplateData ?? {}, wanted);
  changes.push(...ltChanges);
  return { id: lt.LaunchTemplateId!, newVersion: ltChanges.length > 0, ...(latest?.VersionNumber !== undefined ? { version: latest.VersionNumber } : {}) };
}

async function planAsg(ctx: Ctx, ltId: string | undefined, subnets: string[], changes: Change[]): Promise<PlanData['asg']> {
  const n = ctx.names;
  const s = ec2Settings(ctx.config);
  const asg = await findAsg(ctx, n.autoScalingGroup);
  if (!asg) {
    changes.push({ field: 'autoScalingGroup', after: `${n.autoScalingGroup} (min ${s.min}, max ${s.max}, desired ${s.desired}${s.spot ? ', Spot' : ''})` });
    return undefined;
  }
  if (!isOwnedBy(asg.Tags, ctx.owner)) throw notOwnedError('capacity.asg-not-owned', `An Auto Scaling group named ${n.autoScalingGroup}`, ctx.owner);
  if (asg.Status) {
    throw new EcsKitError('capacity.asg-deleting', `Auto Scaling group ${n.autoScalingGroup} is still being deleted (${asg.Status}).`, {
      why: 'An earlier teardown is still terminating its instances; a group with the same name cannot be created until it is gone.',
      fix: 'Wait a few minutes and deploy again.',
    });
  }
  return asgDrift(ctx, asg, ltId, subnets, changes);
}

async function planCapacityProvider(ctx: Ctx, cpName: string, asgData: PlanData['asg'], changes: Change[]): Promise<PlanData['cp']> {
  const cp = await findCapacityProvider(ctx, cpName);
  if (!cp) {
    changes.push({ field: 'capacityProvider', after: `${cpName} (managed scaling, target 100%)` });
    return undefined;
  }
  if (!isOwnedBy(cp.tags, ctx.owner)) throw notOwnedError('capacity.cp-not-owned', `An ECS capacity provider named ${cpName}`, ctx.owner);
  const p = cp.autoScalingGroupProvider;
  if (asgData && p?.autoScalingGroupArn && asgData.arn && p.autoScalingGroupArn !== asgData.arn) {
    throw new EcsKitError('capacity.cp-stale', `Capacity provider ${cpName} points at an Auto Scaling group that no longer exists.`, {
      why: 'A capacity provider cannot be moved to another Auto Scaling group; the group it was made for was deleted outside ecs-kit.',
      fix: 'Run `ecs-kit teardown` and deploy again.',
    });
  }
  const ms = p?.managedScaling;
  const update =
    (ms?.status !== undefined && ms.status !== 'ENABLED') ||
    (ms?.targetCapacity !== undefined && ms.targetCapacity !== 100) ||
    (p?.managedTerminationProtection !== undefined && p.managedTerminationProtection !== 'ENABLED');
  if (update) {
    changes.push({
      field: 'capacityProvider.managedScaling',
      before: { status: ms?.status, targetCapacity: ms?.targetCapacity, terminationProtection: p?.managedTerminationProtection },
      after: { status: 'ENABLED', targetCapacity: 100, terminationProtection: 'ENABLED' },
    });
  }
  return { arn: cp.capacityProviderArn ?? '', update };
}

// ---------------------------------------------------------------------------------------
// Apply, one resource at a time: create what is missing, change only what the plan found.

/** Instance role + profile: the ECS agent on each instance acts with it. */
async function ensureInstanceIam(ctx: Ctx, data: PlanData): Promise<{ roleArn: string; profileArn: string }> {
  const n = ctx.names;
  const iam = ctx.aws.iam();
  let roleArn = data.role?.arn;
  if (!data.role) {
    ctx.progress(`creating instance role ${n.instanceRole}`);
    // No idempotency token: after a lost response, find the role by name (and our tags) instead of failing.
    roleArn = await createOnce({
      create: async () =>
        (
          await ctx.aws.once.iam().send(
            new CreateRoleCommand({
              RoleName: n.instanceRole,
              Path: n.rolePath,
              AssumeRolePolicyDocument: JSON.stringify(instanceTrustPolicy()),
              Description: `ecs-kit: ECS container instances of ${ctx.owner.app}/${ctx.owner.env}`,
              Tags: ownerTags(ctx.owner),
            }),
          )
        ).Role?.Arn ?? '',
      find: async () => {
        const role = await getRole(ctx, n.instanceRole);
        return role && (await roleOwned(ctx, role)) ? (role.Arn ?? '') : undefined;
      },
      alreadyExists: ['EntityAlreadyExists', 'EntityAlreadyExistsException'],
      ...onceOptions(ctx),
    });
    await waitUntilRoleExists({ client: iam, maxWaitTime: 60, abortSignal: ctx.signal }, { RoleName: n.instanceRole });
  }
  if (!data.role || data.role.attach) await iam.send(new AttachRolePolicyCommand({ RoleName: n.instanceRole, PolicyArn: instancePolicyArn(ctx.region) }));

  let profileArn = data.profile?.arn;
  if (!data.profile) {
    ctx.progress(`creating instance profile ${n.instanceProfile}`);
    profileArn = await createOnce({
      create: async () =>
        (await ctx.aws.once.iam().send(new CreateInstanceProfileCommand({ InstanceProfileName: n.instanceProfile, Path: n.rolePath, Tags: ownerTags(ctx.owner) }))).InstanceProfile?.Arn ?? '',
      find: async () => {
        const profile = await getInstanceProfile(ctx, n.instanceProfile);
        return profile && (await profileOwned(ctx, profile)) ? (profile.Arn ?? '') : undefined;
      },
      alreadyExists: ['EntityAlreadyExists', 'EntityAlreadyExistsException'],
      ...onceOptions(ctx),
    });
  }
  if (!data.profile || data.profile.addRole) {
    // A profile holds one role: on a retried call whose first response was lost, IAM says the quota is reached.
    await iam
      .send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: n.instanceProfile, RoleName: n.instanceRole }))
      .catch(
        alreadyDone(['LimitExceeded', 'LimitExceededException'], async () =>
          Boolean((await getInstanceProfile(ctx, n.instanceProfile))?.Roles?.some((r) => r.RoleName === n.instanceRole)),
        ),
      );
    // IAM is eventually consistent: instances launched with a brand-new profile can fail to start.
    await waitUntilInstanceProfileExists({ client: iam, maxWaitTime: 60, abortSignal: ctx.signal }, { InstanceProfileName: n.instanceProfile });
  }
  return { roleArn: roleArn ?? '', profileArn: profileArn ?? '' };
}

/**
 * Both creates carry a ClientToken, so a retry after a lost response gets the first result back instead of
 * InvalidLaunchTemplateName.AlreadyExistsException or a duplicate version (EC2 API, "Ensuring idempotency"; same
 * token with other parameters is IdempotentParameterMismatch). createOnce retries and, before that, looks up.
 */
async function ensureLaunchTemplate(ctx: Ctx, data: PlanData, ltInput: RequestLaunchTemplateData): Promise<string> {
  const n = ctx.names;
  if (!data.lt) {
    ctx.progress(`creating launch template ${n.launchTemplate}`);
    // Random per create, reused by its retries: a token derived from the name and content could replay a template a
    // teardown has deleted since (EC2 keeps tokens after the resource is gone; for RunInstances at least 24 h). A
    // crashed run is recovered by the lookup and AlreadyExists instead (as for route tables in network.ts).
    const ClientToken = randomUUID();
    return createOnce({
      create: async () =>
        (
          await ctx.aws.once.ec2().send(
            new CreateLaunchTemplateCommand({
              ClientToken,
              LaunchTemplateName: n.launchTemplate,
              LaunchTemplateData: ltInput,
              TagSpecifications: [{ ResourceType: 'launch-template', Tags: ec2Tags(ctx.owner, 'launch-template', n.launchTemplate) }],
            }),
          )
        ).LaunchTemplate?.LaunchTemplateId ?? '',
      find: async () => {
        const lt = await findLaunchTemplate(ctx, n.launchTemplate);
        return lt && isOwnedBy(lt.Tags, ctx.owner) ? (lt.LaunchTemplateId ?? '') : undefined;
      },
      alreadyExists: ['InvalidLaunchTemplateName.AlreadyExistsException'],
      ...onceOptions(ctx),
    });
  }
  if (data.lt.newVersion) {
    // The group launches $Latest: new instances pick this up, running ones keep theirs.
    ctx.progress(`adding a version to launch template ${n.launchTemplate}`);
    const { id, version: base } = data.lt;
    const ClientToken = launchTemplateVersionToken(id, base, ltInput);
    const input = { ClientToken, LaunchTemplateId: id, LaunchTemplateData: ltInput };
    await createOnce({
      create: async () => (await ctx.aws.once.ec2().send(new CreateLaunchTemplateVersionCommand(input))).LaunchTemplateVersion?.VersionNumber ?? 0,
      // Made already: $Latest is newer than the version the plan saw, and says what we want.
      find: async () => {
        const latest = await latestVersion(ctx, id);
        const newer = base === undefined || (latest?.VersionNumber ?? 0) > base;
        return latest && newer && launchTemplateChanges(latest.LaunchTemplateData ?? {}, ltInput).length === 0 ? (latest.VersionNumber ?? 0) : undefined;
      },
      ...onceOptions(ctx),
    });
  }
  return data.lt.id;
}

/**
 * Auto Scaling validates the launch template's instance profile, and rejects one IAM has not propagated yet:
 * "ValidationError: You must use a valid fully-formed launch template. Value (…) for parameter iamInstanceProfile.arn
 * is invalid. Invalid IAM Instance Profile ARN", for up to a couple of minutes after the profile (or its role) was
 * made, although GetInstanceProfile already finds it (hashicorp/terraform-provider-aws#5217, fixed by a retry in
 * #5633; #40088 for updates). A service-linked role made just now is retried the same way (RaJiska/terraform-aws-fck-nat#85).
 */
function untilProfileUsable<T>(ctx: Ctx, send: () => Promise<T>): Promise<T> {
  return retryPropagation(ctx, `instance profile ${ctx.names.instanceProfile}`, send, (err) => isIamPropagation(err) || isServiceLinkedRoleNotReady(err));
}

async function ensureAsg(ctx: Ctx, data: PlanData, spec: LaunchTemplateSpecification, subnets: string[]): Promise<string> {
  const n = ctx.names;
  const s = ec2Settings(ctx.config);
  if (!data.asg) {
    ctx.progress(`creating Auto Scaling group ${n.autoScalingGroup}`);
    const input: CreateAutoScalingGroupCommandInput = {
      AutoScalingGroupName: n.autoScalingGroup,
      MinSize: s.min,
      MaxSize: s.max,
      DesiredCapacity: s.desired,
      VPCZoneIdentifier: subnets.join(','),
      ...(s.spot ? { MixedInstancesPolicy: mixedInstancesPolicy(spec) } : { LaunchTemplate: spec }),
      // ECS managed termination protection only scales in instances with no tasks; it needs this.
      NewInstancesProtectedFromScaleIn: true,
      Tags: [...ownerTags(ctx.owner, 'auto-scaling-group').map((t) => asgTag(ctx, t.Key, t.Value)), asgTag(ctx, 'Name', n.autoScalingGroup), asgTag(ctx, 'AmazonECSManaged', 'true')],
    };
    // A fresh account has no Auto Scaling service-linked role; the first group would make it and then race it.
    await prepareServiceLinkedRole(ctx, 'ec2AutoScaling');
    // CreateAutoScalingGroup has no idempotency token and returns nothing: find it by name and tags. The
    // propagation retry sits inside `create`, so a lost response is still looked up, never sent twice blind.
    return createOnce({
      create: async () => {
        await untilProfileUsable(ctx, () => ctx.aws.once.ec2AutoScaling().send(new CreateAutoScalingGroupCommand(input)));
        return (await findAsg(ctx, n.autoScalingGroup))?.AutoScalingGroupARN ?? '';
      },
      find: async () => {
        const asg = await findAsg(ctx, n.autoScalingGroup);
        return asg && isOwnedBy(asg.Tags, ctx.owner) ? (asg.AutoScalingGroupARN ?? '') : undefined;
      },
      alreadyExists: ['AlreadyExists', 'AlreadyExistsFault'],
      ...onceOptions(ctx),
    });
  }
  if (data.asg.update) {
    // The plan may not have known the template id yet (a template created just now).
    const update = { ...data.asg.update };
    if (update.LaunchTemplate) update.LaunchTemplate = spec;
    if (update.MixedInstancesPolicy) update.MixedInstancesPolicy = mixedInstancesPolicy(spec);
    ctx.progress(`updating Auto Scaling group ${n.autoScalingGroup}`);
    const input = { AutoScalingGroupName: n.autoScalingGroup, ...update };
    await untilProfileUsable(ctx, () => ctx.aws.ec2AutoScaling().send(new UpdateAutoScalingGroupCommand(input)));
  }
  return data.asg.arn;
}

const MANAGED_SCALING = { status: 'ENABLED' as const, targetCapacity: 100 };

async function ensureCapacityProvider(ctx: Ctx, data: PlanData, cpName: string, asgArn: string): Promise<void> {
  if (!data.cp) {
    ctx.progress(`creating capacity provider ${cpName}`);
    // "ECS Service Linked Role does not exist" in a fresh account (terraform-aws-modules/terraform-aws-ecs#26): make the
    // role first, and retry while it propagates (inside `create`, so createOnce still looks up after a lost response).
    await prepareServiceLinkedRole(ctx, 'ecs');
    const input = {
      name: cpName,
      autoScalingGroupProvider: { autoScalingGroupArn: asgArn, managedScaling: MANAGED_SCALING, managedTerminationProtection: 'ENABLED' as const },
      tags: ecsTags(ctx.owner),
    };
    await createOnce({
      create: async () => {
        const send = () => ctx.aws.once.ecs().send(new CreateCapacityProviderCommand(input));
        return void (await retryWhileRoleIsNew(ctx, 'ecs', send));
      },
      find: async () => {
        const cp = await findCapacityProvider(ctx, cpName);
        return cp && isOwnedBy(cp.tags, ctx.owner) ? cp : undefined;
      },
      // ECS reports a duplicate name as a ClientException; only a provider tagged as ours is adopted.
      alreadyExists: ['ClientException'],
      ...onceOptions(ctx),
    });
  } else if (data.cp.update) {
    await ctx.aws.ecs().send(new UpdateCapacityProviderCommand({ name: cpName, autoScalingGroupProvider: { managedScaling: MANAGED_SCALING, managedTerminationProtection: 'ENABLED' } }));
  }
}

async function attachToCluster(ctx: Ctx, clusterName: string, cpName: string): Promise<void> {
  // Re-read: the cluster step may have just added the Fargate providers; keep every one.
  const cluster = await describeCluster(ctx, clusterName);
  const providers = [...(cluster?.capacityProviders ?? []).filter((p) => p !== cpName), cpName];
  ctx.progress(`attaching ${cpName} to cluster ${clusterName}`);
  await retryWhile(
    () => ctx.aws.ecs().send(new PutClusterCapacityProvidersCommand({ cluster: clusterName, capacityProviders: providers, defaultCapacityProviderStrategy: wantedDefaultStrategy(cpName) })),
    (err) => isAwsError(err, 'UpdateInProgressException'),
    { timeoutMs: ctx.options.timeoutMs, signal: ctx.signal },
  );
}

export const ec2CapacityStep: StepModule<CapacityState> = {
  kind: 'capacity',
  title: () => 'EC2 capacity (instances, Auto Scaling group, capacity provider)',
  instances: (config) => (usesEc2(config) ? [{ dependsOn: ['network', 'cluster', ...(needsLbIngress(config) ? ['load-balancer'] : [])] }] : []),

  async plan(ctx): Promise<StepPlan<CapacityState>> {
    const ami = await planHost(ctx);
    const noOutbound = awsvpcWithoutNatWarning(ctx.config);
    if (noOutbound) ctx.warn(noOutbound);
    const d = deps(ctx);
    const n = ctx.names;
    const s = ec2Settings(ctx.config);
    const cpName = capacityProviderName(n);
    const placement = taskPlacement(d.network);
    const changes: Change[] = [];

    const { role: roleData, profile: profileData } = await planInstanceIam(ctx, changes);

    const sg = await planSecurityGroup(ctx, { vpcId: d.network.vpcId, name: n.instanceSecurityGroup, wanted: wantedIngress(d), notOwnedCode: 'capacity.sg-not-owned' });
    changes.push(...sg.changes);

    const wantedLt = renderLaunchTemplate({
      cluster: d.cluster,
      imageId: ami,
      instanceType: s.instanceType,
      instanceProfileArn: profileData?.arn ?? '',
      securityGroupId: sg.plan.groupId ?? '',
      publicIp: placement.assignPublicIp === 'ENABLED',
      owner: ctx.owner,
      name: n.launchTemplate,
    });
    const ltData = await planLaunchTemplate(ctx, wantedLt, changes);
    const asgData = await planAsg(ctx, ltData?.id, placement.subnets, changes);
    const cpData = await planCapacityProvider(ctx, cpName, asgData, changes);

    const cluster = await describeCluster(ctx, d.cluster);
    const providers = cluster?.capacityProviders ?? [];
    const attach = !providers.includes(cpName) || strategyKey(cluster?.defaultCapacityProviderStrategy) !== strategyKey(wantedDefaultStrategy(cpName));
    if (attach) changes.push({ field: 'cluster.capacityProviders', before: providers, after: [...providers.filter((p) => p !== cpName), cpName] });

    const data: PlanData = { ami, ...(roleData ? { role: roleData } : {}), ...(profileData ? { profile: profileData } : {}), sg: sg.plan, ...(ltData ? { lt: ltData } : {}), ...(asgData ? { asg: asgData } : {}), ...(cpData ? { cp: cpData } : {}), attach };
    if (!roleData && !profileData && !sg.plan.groupId && !ltData && !asgData && !cpData) return { action: 'create', changes, data };
    const current: CapacityState | undefined =
      roleData && profileData && sg.plan.groupId && ltData && asgData && cpData
        ? {
            roleName: n.instanceRole,
            roleArn: roleData.arn,
            instanceProfileName: n.instanceProfile,
            instanceProfileArn: profileData.arn,
            securityGroupId: sg.plan.groupId,
            launchTemplateId: ltData.id,
            launchTemplateName: n.launchTemplate,
            autoScalingGroupName: n.autoScalingGroup,
            autoScalingGroupArn: asgData.arn,
            capacityProviderName: cpName,
            clusterName: d.cluster,
          }
        : undefined;
    return { action: changes.length ? 'update' : 'noop', changes, ...(current ? { current } : {}), data };
  },

  async apply(ctx, plan): Promise<CapacityState> {
    const data = plan.data as PlanData;
    const d = deps(ctx);
    const n = ctx.names;
    const s = ec2Settings(ctx.config);
    const cpName = capacityProviderName(n);
    const placement = taskPlacement(d.network);

    const { roleArn, profileArn } = await ensureInstanceIam(ctx, data);
    const groupId = await applySecurityGroup(ctx, data.sg, {
      vpcId: d.network.vpcId,
      name: n.instanceSecurityGroup,
      description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}: ECS container instances`,
      role: 'instance-security-group',
    });
    const ltInput = renderLaunchTemplate({
      cluster: d.cluster,
      imageId: data.ami,
      instanceType: s.instanceType,
      instanceProfileArn: profileArn,
      securityGroupId: groupId,
      publicIp: placement.assignPublicIp === 'ENABLED',
      owner: ctx.owner,
      name: n.launchTemplate,
    });
    const ltId = await ensureLaunchTemplate(ctx, data, ltInput);
    const asgArn = await ensureAsg(ctx, data, { LaunchTemplateId: ltId, Version: '$Latest' }, placement.subnets);
    await ensureCapacityProvider(ctx, data, cpName, asgArn);
    if (data.attach || !data.cp) await attachToCluster(ctx, d.cluster, cpName);

    return {
      roleName: n.instanceRole,
      roleArn,
      instanceProfileName: n.instanceProfile,
      instanceProfileArn: profileArn,
      securityGroupId: groupId,
      launchTemplateId: ltId,
      launchTemplateName: n.launchTemplate,
      autoScalingGroupName: n.autoScalingGroup,
      autoScalingGroupArn: asgArn,
      capacityProviderName: cpName,
      clusterName: d.cluster,
    };
  },

  /**
   * Order matters (AWS refuses otherwise): services are gone already (they depend on this step);
   * detach the provider from the cluster → delete it → scale the group to 0 and force-delete it →
   * launch template → instance profile → role → security group. The cluster step depends on
   * nothing here, and this step depends on the cluster, so the cluster is deleted only after.
   */
  async destroy(ctx, state): Promise<void> {
    const ecs = ctx.aws.ecs();
    const cpName = state.capacityProviderName;
    const wait = { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal };

    const cluster = await describeCluster(ctx, state.clusterName).catch((err) => {
      if (isAwsError(err, 'ClusterNotFoundException')) return undefined;
      throw err;
    });
    if (cluster?.capacityProviders?.includes(cpName)) {
      ctx.progress(`detaching ${cpName} from cluster ${state.clusterName}`);
      await retryWhile(
        () =>
          ecs.send(
            new PutClusterCapacityProvidersCommand({
              cluster: state.clusterName,
              capacityProviders: cluster.capacityProviders!.filter((p) => p !== cpName),
              defaultCapacityProviderStrategy: (cluster.defaultCapacityProviderStrategy ?? []).filter((x) => x.capacityProvider !== cpName),
            }),
          ),
        // Tasks still placed by the provider keep it "in use" until ECS has stopped them.
        (err) => isAwsError(err, 'ResourceInUseException', 'UpdateInProgressException'),
        { ...wait, onRetry: () => ctx.progress(`waiting for tasks to stop before detaching ${cpName}`) },
      ).catch((err) => {
        if (!isAwsError(err, 'ClusterNotFoundException')) throw err;
      });
    }

    const cp = await findCapacityProvider(ctx, cpName);
    if (cp && !isOwnedBy(cp.tags, ctx.owner)) {
      ctx.warn(`Left capacity provider ${cpName} in place: its tags do not say ecs-kit created it for this app/env.`);
    } else if (cp) {
      if (cp.updateStatus !== 'DELETE_IN_PROGRESS') {
        ctx.progress(`deleting capacity provider ${cpName}`);
        await retryWhile(
          () => ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: cpName })),
          (err) => isAwsError(err, 'ResourceInUseException', 'UpdateInProgressException'),
          wait,
        ).catch((err) => {
          // Already gone (a concurrent or earlier teardown got there first).
          if (!(isAwsError(err, 'ClientException') && messageIncludes(err, 'not found'))) throw err;
        });
      }
      // The group may only go once the provider has let go of it.
      await pollUntil(
        ctx,
        async () => {
          const left = await findCapacityProvider(ctx, cpName);
          if (left?.updateStatus === 'DELETE_FAILED') {
            throw new EcsKitError('capacity.cp-delete-failed', `ECS could not delete capacity provider ${cpName}: ${left.updateStatusReason ?? 'no reason given'}.`, {
              fix: 'Fix the cause above (usually a service or task still using it) and run the teardown again.',
            });
          }
          return !left;
        },
        `capacity provider ${cpName} to be deleted`,
      );
    }

    await destroyAsg(ctx, state.autoScalingGroupName);

    const lt = await findLaunchTemplate(ctx, state.launchTemplateName);
    if (lt && !isOwnedBy(lt.Tags, ctx.owner)) ctx.warn(`Left launch template ${state.launchTemplateName} in place: its tags do not say ecs-kit created it for this app/env.`);
    else if (lt) {
      await ctx.aws
        .ec2()
        .send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: lt.LaunchTemplateId }))
        .catch((err) => {
          if (!isAwsError(err, 'InvalidLaunchTemplateId.NotFound', 'InvalidLaunchTemplateName.NotFoundException')) throw err;
        });
    }

    await destroyInstanceIam(ctx, state);
    // Terminating instances hold their network interfaces (and so the group) for a while.
    await destroySecurityGroup(ctx, state.securityGroupId, 'container instance security group');
  },
};

async function pollUntil(ctx: Ctx, done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + ctx.options.destroyRetryMs;
  let announced = false;
  while (!(await done())) {
    if (Date.now() >= deadline) {
      throw new EcsKitError('capacity.delete-timeout', `Timed out waiting for ${what}.`, {
        why: 'AWS is still terminating the container instances or releasing the capacity provider.',
        fix: 'Run the teardown again in a few minutes; it resumes where it stopped.',
      });
    }
    if (!announced) ctx.progress(`waiting for ${what}`);
    announced = true;
    await sleep(Math.max(1, Math.min(ctx.options.pollIntervalMs, 10_000)), ctx.signal);
  }
}

const ASG_GONE = (err: unknown) => isAwsError(err, 'ValidationError') && messageIncludes(err, 'not found');

async function destroyAsg(ctx: Ctx, name: string): Promise<void> {
  const client = ctx.aws.ec2AutoScaling();
  const asg = await findAsg(ctx, name);
  if (!asg) return;
  if (!isOwnedBy(asg.Tags, ctx.owner)) {
    ctx.warn(`Left Auto Scaling group ${name} in place: its tags do not say ecs-kit created it for this app/env.`);
    return;
  }
  if (!asg.Status) {
    try {
      if (asg.MinSize || asg.MaxSize || asg.DesiredCapacity) {
        ctx.progress(`scaling Auto Scaling group ${name} to 0`);
        await client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, MinSize: 0, MaxSize: 0, DesiredCapacity: 0 }));
      }
      // Force: the instances are protected from scale-in (managed termination protection).
      ctx.progress(`deleting Auto Scaling group ${name} and its instances`);
      await retryWhile(
        () => client.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true })),
        (err) => isAwsError(err, 'ScalingActivityInProgress', 'ResourceInUse'),
        { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal },
      );
    } catch (err) {
      if (!ASG_GONE(err)) throw err;
      return;
    }
  }
  await pollUntil(ctx, async () => !(await findAsg(ctx, name)), `Auto Scaling group ${name} to terminate its instances`);
}

async function destroyInstanceIam(ctx: Ctx, state: CapacityState): Promise<void> {
  const iam = ctx.aws.iam();
  const ignoreGone = (err: unknown) => {
    if (!isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) throw err;
  };
  const profile = await getInstanceProfile(ctx, state.instanceProfileName);
  if (profile && !(await profileOwned(ctx, profile))) {
    ctx.warn(`Left instance profile ${state.instanceProfileName} in place: its tags do not say ecs-kit created it for this app/env.`);
  } else if (profile) {
    for (const r of profile.Roles ?? []) {
      await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: state.instanceProfileName, RoleName: r.RoleName })).catch(ignoreGone);
    }
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: state.instanceProfileName })).catch(ignoreGone);
  }

  const role = await getRole(ctx, state.roleName);
  if (!role) return;
  if (!(await roleOwned(ctx, role))) {
    ctx.warn(`Left IAM role ${state.roleName} in place: its tags do not say ecs-kit created it for this app/env.`);
    return;
  }
  try {
    // Every page is read before the first change (changing a list while paging it can skip entries).
    const attached = await all(paginateListAttachedRolePolicies({ client: iam }, { RoleName: state.roleName }), (p) => p.AttachedPolicies);
    for (const p of attached) {
      await iam.send(new DetachRolePolicyCommand({ RoleName: state.roleName, PolicyArn: p.PolicyArn })).catch(ignoreGone);
    }
    // Another profile (e.g. added by hand) would make DeleteRole fail with DeleteConflict.
    const profiles = await all(paginateListInstanceProfilesForRole({ client: iam }, { RoleName: state.roleName }), (p) => p.InstanceProfiles);
    for (const p of profiles) {
      await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName: state.roleName })).catch(ignoreGone);
    }
    await retryWhile(
      () => iam.send(new DeleteRoleCommand({ RoleName: state.roleName })),
      (err) => isAwsError(err, 'DeleteConflictException', 'DeleteConflict', 'ConcurrentModificationException'),
      { timeoutMs: ctx.options.destroyRetryMs, signal: ctx.signal, onRetry: () => ctx.progress(`waiting for IAM to release ${state.roleName}`) },
    );
  } catch (err) {
    ignoreGone(err);
  }
}
