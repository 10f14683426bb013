import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
  type ResourceType,
  type SecurityGroup,
  type Tag,
  type TagSpecification,
} from '@aws-sdk/client-ec2';
import { DescribeTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { errorName, isAwsError } from './errors.js';
import { retryWhile } from './retry.js';
import { createOnce } from './idempotent.js';
import { notFoundYet, retryPropagation } from './propagation.js';
import { isOwnedBy, ownerTags, type Owner } from './tags.js';
import { EcsKitError } from '../errors.js';
import { PendingDependency, type Change, type StepContext } from '../engine/types.js';

/** Owner tags, the role tag and a readable Name tag (`<app>-<env>-<role>`) for the console. */
export function ec2Tags(owner: Owner, role: string, name: string): Tag[] {
  return [...ownerTags(owner, role), { Key: 'Name', Value: name }];
}

export function tagSpec(resourceType: ResourceType, owner: Owner, role: string, name: string): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: ec2Tags(owner, role, name) }];
}

export function tagValue(tags: { Key?: string; Value?: string }[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/**
 * A dependency whose state still has an empty id was planned as "update with a piece
 * missing"; for planning purposes it does not exist yet.
 */
export function requireIds(dependency: string, ...values: (string | undefined)[]): void {
  if (values.some((v) => !v)) throw new PendingDependency(dependency);
}

/**
 * Run a delete, retrying while AWS says something still uses the resource (ENIs of tasks, load
 * balancers and NAT gateways drain for minutes); "not found" counts as done. Bounded by
 * `destroyRetryMs`; every retry says what it waits for and for how long so far.
 */
export async function deleteWithRetry(
  ctx: StepContext,
  fn: () => Promise<unknown>,
  opts: { what: string; retryOn?: string[]; goneOn: string[] },
): Promise<void> {
  const retryOn = opts.retryOn ?? ['DependencyViolation'];
  const started = Date.now();
  try {
    await retryWhile(fn, (err) => isAwsError(err, ...retryOn), {
      timeoutMs: ctx.options.destroyRetryMs,
      signal: ctx.signal,
      onRetry: (err) => ctx.progress(`waiting for AWS to release ${opts.what} before deleting it (${errorName(err)}, ${Math.round((Date.now() - started) / 1000)} s so far)`),
    });
  } catch (err) {
    if (isAwsError(err, ...opts.goneOn)) return;
    throw err;
  }
}

/** createOnce settings from the run: the attempt budget, cancellation, the lookup's patience and a word when adopting. */
export function onceOptions(ctx: StepContext): { attempts: number; lookupWaitMs: number; signal?: AbortSignal; onAdopt: () => void } {
  return {
    attempts: ctx.aws.maxAttempts(),
    lookupWaitMs: Math.min(8_000, ctx.options.propagationRetryMs),
    signal: ctx.signal,
    onAdopt: () => ctx.progress('adopting what an earlier attempt created (its response was lost)'),
  };
}

/** The "does not exist" codes EC2 answers for an id of each kind (by its prefix). */
const NOT_FOUND_BY_PREFIX: [string, string[]][] = [
  ['vpc-', ['InvalidVpcID.NotFound']],
  ['subnet-', ['InvalidSubnetID.NotFound']],
  ['igw-', ['InvalidInternetGatewayID.NotFound', 'InvalidGatewayID.NotFound']],
  ['rtb-', ['InvalidRouteTableID.NotFound']],
  ['eipalloc-', ['InvalidAllocationID.NotFound']],
  ['nat-', ['InvalidNatGatewayID.NotFound', 'NatGatewayNotFound']],
  ['sg-', ['InvalidGroup.NotFound', 'InvalidGroupId.NotFound']],
];

export function notFoundCodesFor(id: string): string[] {
  return NOT_FOUND_BY_PREFIX.find(([prefix]) => id.startsWith(prefix))?.[1] ?? [];
}

/**
 * Run a call that names ids, retrying "<kind> not found" while AWS has not made an id this run
 * created visible yet: EC2 is eventually consistent, e.g. InvalidGroup.NotFound right after
 * CreateSecurityGroup (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
 * Ids not in `created` (read from AWS or the manifest) get no retry: for them "not found" is true.
 */
export function untilVisible<T>(ctx: StepContext, created: ReadonlySet<string>, ids: (string | undefined)[], fn: () => Promise<T>): Promise<T> {
  const fresh = ids.filter((id): id is string => Boolean(id && created.has(id)));
  if (!fresh.length) return fn();
  return retryPropagation(ctx, fresh.join(', '), fn, notFoundYet(...fresh.flatMap(notFoundCodesFor)));
}

/** For .catch(): swallow the named AWS errors (e.g. "already gone"), rethrow anything else. */
export function ignoreErrors(...names: string[]): (err: unknown) => void {
  return (err) => {
    if (!isAwsError(err, ...names)) throw err;
  };
}

export function notOwnedError(code: string, what: string, owner: Owner): EcsKitError {
  return new EcsKitError(code, `${what} already exists and was not created by ecs-kit for ${owner.app}/${owner.env}.`, {
    why: 'ecs-kit only manages resources it created, so it will not adopt or change it.',
    fix: 'Choose another app name or --env, or delete that resource yourself.',
  });
}

// ---------------------------------------------------------------------------------------
// Security groups: shared by the load balancer's group and the per-service groups.

/** One ingress permission, flattened to a single source so rule sets compare as sets. */
export interface IngressRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source: { kind: 'cidr' | 'cidr6' | 'group' | 'prefix-list'; value: string };
  description?: string;
}

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

function normalizeProtocol(p: string | undefined): string {
  const v = (p ?? '-1').toLowerCase();
  return PROTOCOL_NAMES[v] ?? v;
}

export function flattenIngress(perms: IpPermission[] | undefined): IngressRule[] {
  const out: IngressRule[] = [];
  for (const p of perms ?? []) {
    const protocol = normalizeProtocol(p.IpProtocol);
    // "All traffic" rules carry no meaningful ports.
    const ports = protocol === '-1' ? {} : { fromPort: p.FromPort, toPort: p.ToPort };
    // The description is kept (not compared) so a revoke names the rule exactly as it exists.
    const add = (kind: IngressRule['source']['kind'], value: string | undefined, description: string | undefined) => {
      if (value) out.push({ protocol, ...ports, source: { kind, value }, ...(description ? { description } : {}) });
    };
    for (const r of p.IpRanges ?? []) add('cidr', r.CidrIp, r.Description);
    for (const r of p.Ipv6Ranges ?? []) add('cidr6', r.CidrIpv6, r.Description);
    for (const r of p.UserIdGroupPairs ?? []) add('group', r.GroupId, r.Description);
    for (const r of p.PrefixListIds ?? []) add('prefix-list', r.PrefixListId, r.Description);
  }
  return out;
}

export function ruleKey(r: IngressRule): string {
  return `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}|${r.source.kind}|${r.source.value}`;
}

export function describeRule(r: IngressRule): string {
  const ports = r.protocol === '-1' ? 'all traffic' : r.fromPort === r.toPort ? `${r.protocol} ${r.fromPort}` : `${r.protocol} ${r.fromPort}-${r.toPort}`;
  return `${ports} from ${r.source.value}`;
}

export function toIpPermission(r: IngressRule): IpPermission {
  const p: IpPermission = { IpProtocol: r.protocol };
  if (r.protocol !== '-1') {
    p.FromPort = r.fromPort;
    p.ToPort = r.toPort;
  }
  const description = r.description ? { Description: r.description } : {};
  if (r.source.kind === 'cidr') p.IpRanges = [{ CidrIp: r.source.value, ...description }];
  if (r.source.kind === 'cidr6') p.Ipv6Ranges = [{ CidrIpv6: r.source.value, ...description }];
  if (r.source.kind === 'group') p.UserIdGroupPairs = [{ GroupId: r.source.value, ...description }];
  if (r.source.kind === 'prefix-list') p.PrefixListIds = [{ PrefixListId: r.source.value, ...description }];
  return p;
}

export interface IngressDiff {
  add: IngressRule[];
  remove: IngressRule[];
}

/** Set difference by rule key: duplicates (which moto accepts for group pairs) collapse. */
export function diffIngress(actual: IngressRule[], wanted: IngressRule[]): IngressDiff {
  const have = new Map(actual.map((r) => [ruleKey(r), r]));
  const want = new Map(wanted.map((r) => [ruleKey(r), r]));
  return {
    add: [...want.entries()].filter(([k]) => !have.has(k)).map(([, r]) => r),
    remove: [...have.entries()].filter(([k]) => !want.has(k)).map(([, r]) => r),
  };
}

export async function findSecurityGroupByName(ctx: StepContext, vpcId: string, name: string): Promise<SecurityGroup | undefined> {
  const out = await ctx.aws.ec2().send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }, { Name: 'group-name', Values: [name] }] }),
  );
  return out.SecurityGroups?.find((g) => g.GroupName === name);
}

export async function describeSecurityGroup(ctx: StepContext, groupId: string): Promise<SecurityGroup | undefined> {
  try {
    const out = await ctx.aws.ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
    return out.SecurityGroups?.[0];
  } catch (err) {
    if (isAwsError(err, 'InvalidGroup.NotFound', 'InvalidGroupId.NotFound', 'InvalidGroupId.Malformed')) return undefined;
    throw err;
  }
}

/** What a security-group plan read: the group (if any) and how its ingress differs from the wanted rules. */
export interface SecurityGroupPlan {
  groupId?: string;
  wanted: IngressRule[];
  diff: IngressDiff;
}

export async function planSecurityGroup(
  ctx: StepContext,
  opts: { vpcId: string; name: string; wanted: IngressRule[]; notOwnedCode: string },
): Promise<{ plan: SecurityGroupPlan; changes: Change[] }> {
  const group = await findSecurityGroupByName(ctx, opts.vpcId, opts.name);
  if (!group) {
    const changes: Change[] = [{ field: 'securityGroup', after: opts.name }];
    if (opts.wanted.length) changes.push({ field: 'ingress', after: opts.wanted.map(describeRule) });
    return { plan: { wanted: opts.wanted, diff: { add: opts.wanted, remove: [] } }, changes };
  }
  if (!isOwnedBy(group.Tags, ctx.owner)) throw notOwnedError(opts.notOwnedCode, `A security group named ${opts.name} in ${opts.vpcId}`, ctx.owner);
  const actual = flattenIngress(group.IpPermissions);
  const diff = diffIngress(actual, opts.wanted);
  const changes: Change[] = [];
  if (diff.add.length || diff.remove.length) {
    changes.push({ field: 'ingress', before: actual.map(describeRule), after: opts.wanted.map(describeRule) });
  }
  return { plan: { groupId: group.GroupId, wanted: opts.wanted, diff }, changes };
}

/** Create the group if the plan found none, then revoke/authorize only the differing rules. */
export async function applySecurityGroup(
  ctx: StepContext,
  plan: SecurityGroupPlan,
  opts: { vpcId: string; name: string; description: string; role: string },
): Promise<string> {
  const ec2 = ctx.aws.ec2();
  let groupId = plan.groupId;
  if (!groupId) {
    ctx.progress(`creating security group ${opts.name}`);
    // No idempotency token; the name is unique per VPC, so a lost response is found by name.
    groupId = await createOnce({
      create: async () =>
        (
          await ctx.aws.once.ec2().send(
            new CreateSecurityGroupCommand({
              GroupName: opts.name,
              Description: opts.description,
              VpcId: opts.vpcId,
              TagSpecifications: tagSpec('security-group', ctx.owner, opts.role, opts.name),
            }),
          )
        ).GroupId!,
      find: async () => {
        const g = await findSecurityGroupByName(ctx, opts.vpcId, opts.name);
        return g && isOwnedBy(g.Tags, ctx.owner) ? g.GroupId : undefined;
      },
      alreadyExists: ['InvalidGroup.Duplicate'],
      ...onceOptions(ctx),
    });
  }
  // A group made just now may not be visible to the next call yet (EC2's own example of eventual consistency).
  const id = groupId;
  const call = <R>(fn: () => Promise<R>) => untilVisible(ctx, new Set(plan.groupId ? [] : [id]), [id], fn);
  // Revoke first so a port change never leaves both ports open at once.
  if (plan.diff.remove.length) {
    await call(() => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: plan.diff.remove.map(toIpPermission) })));
  }
  if (plan.diff.add.length) {
    await call(() =>
      ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: plan.diff.add.map(toIpPermission) })).catch(async (err: unknown) => {
        // A lost response: AWS added the rules and the SDK retry found them. The call is all-or-nothing,
        // so add them one by one, skipping those that exist.
        if (!isAwsError(err, 'InvalidPermission.Duplicate')) throw err;
        for (const p of plan.diff.add) {
          await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [toIpPermission(p)] })).catch(ignoreErrors('InvalidPermission.Duplicate'));
        }
      }),
    );
  }
  return id;
}

/** Delete a security group we own; ENIs that still use it (ALB, tasks) take minutes to go. */
export async function destroySecurityGroup(ctx: StepContext, groupId: string, label: string): Promise<void> {
  const group = await describeSecurityGroup(ctx, groupId);
  if (!group) return;
  if (!isOwnedBy(group.Tags, ctx.owner)) {
    ctx.warn(`Left ${label} (${groupId}) in place: its tags do not say ecs-kit created it for this app/env.`);
    return;
  }
  await deleteWithRetry(ctx, () => ctx.aws.ec2().send(new DeleteSecurityGroupCommand({ GroupId: groupId })), {
    what: `${label} (${groupId})`,
    goneOn: ['InvalidGroup.NotFound', 'InvalidGroupId.NotFound'],
  });
}

// ---------------------------------------------------------------------------------------
// ELBv2 ownership (load balancers, listeners, rules and target groups carry the same tags).

export const ELB_NOT_FOUND = [
  'LoadBalancerNotFoundException',
  'LoadBalancerNotFound',
  'TargetGroupNotFoundException',
  'TargetGroupNotFound',
  'ListenerNotFoundException',
  'ListenerNotFound',
  'RuleNotFoundException',
  'RuleNotFound',
];

/** Tags of one ELBv2 resource, or undefined when the resource no longer exists. */
export async function elbTags(ctx: StepContext, arn: string): Promise<{ Key?: string; Value?: string }[] | undefined> {
  try {
    const out = await ctx.aws.elbv2().send(new DescribeTagsCommand({ ResourceArns: [arn] }));
    return out.TagDescriptions?.find((d) => d.ResourceArn === arn)?.Tags ?? out.TagDescriptions?.[0]?.Tags ?? [];
  } catch (err) {
    if (isAwsError(err, ...ELB_NOT_FOUND)) return undefined;
    throw err;
  }
}

/**
 * Every page of a filtered EC2 Describe* call. Without MaxResults most return all matches at
 * once, but newer ones (DescribeNatGateways) may page on their own; a NextToken is followed either way.
 */
export async function describeAll<I extends object, O extends { NextToken?: string }, T>(
  send: (input: I & { NextToken?: string }) => Promise<O>,
  input: I,
  items: (page: O) => T[] | undefined,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await send(token ? { ...input, NextToken: token } : input);
    all.push(...(items(page) ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

/** One resource by id, or undefined when AWS says it does not exist (`notFound`). */
export async function describeOne<T>(fn: () => Promise<T | undefined>, notFound: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isAwsError(err, notFound)) return undefined;
    throw err;
  }
}
