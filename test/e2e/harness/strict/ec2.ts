import type { AccountState, Holder } from './state.js';
import { refuse, rewriteStates, type AwsRequest, type Rule, type RuleContext, type Verdict } from './types.js';

/**
 * EC2's timing, which moto does not have: new ids that are not visible yet, network interfaces
 * that outlive their owner, addresses that cannot be released yet, and NAT gateways that take
 * time to come and go.
 */

/** What AWS answers when a call names an id it cannot see (yet), by id prefix. */
function notFound(id: string, operation: string): Verdict | undefined {
  const [prefix] = id.split('-');
  switch (prefix) {
    case 'vpc':
      return refuse('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
    case 'subnet':
      return refuse('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    case 'sg':
      return refuse('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    case 'igw':
      return refuse('InvalidInternetGatewayID.NotFound', `The internetGateway ID '${id}' does not exist`);
    case 'rtb':
      return refuse('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
    case 'eipalloc':
      return refuse('InvalidAllocationID.NotFound', `The allocation ID '${id}' does not exist`);
    case 'nat':
      // The NAT APIs have their own code; other APIs (CreateRoute…) use the generic one.
      if (/NatGateway/.test(operation)) return refuse('NatGatewayNotFound', `The Nat Gateway ${id} was not found`);
      return refuse('InvalidNatGatewayID.NotFound', `The natGateway ID '${id}' does not exist`);
    case 'lt':
      return refuse('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    default:
      return undefined;
  }
}

// Calls that name ids in an explicit list (Describe*, single-id reads): filters are not affected.
const ID_KEY = /^(VpcId|SubnetId|GroupId|InternetGatewayId|RouteTableId|AllocationId|NatGatewayId|LaunchTemplateId)(\.\d+)?$/;
// Teardown runs minutes after the creates on real AWS; a delete right after its create is not what this rule models.
const TEARDOWN = /^(Delete|Release|Detach|Disassociate)/;

const eventualConsistency: Rule = {
  id: 'ec2.eventual-consistency',
  description: 'A new EC2 id (VPC, subnet, SG, IGW, route table, EIP, NAT, launch template) is Invalid…NotFound for a window',
  // EC2 Developer Guide, "Eventual consistency in the Amazon EC2 API" (InvalidGroup.NotFound after CreateSecurityGroup is its example).
  source: 'https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html',
  check(req, { state, now, windows }) {
    if (req.service !== 'ec2') return undefined;
    const named = req.mutating
      ? TEARDOWN.test(req.operation)
        ? []
        : Object.entries(req.form).filter(([k]) => k !== 'Action' && k !== 'Version')
      : Object.entries(req.form).filter(([k]) => ID_KEY.test(k));
    for (const [, id] of named) {
      const created = state.fresh.get(id);
      if (created !== undefined && now - created < windows.ec2Consistency) return notFound(id, req.operation);
    }
    return undefined;
  },
};

/** Holders still attached to `resource` (a security group or subnet): alive, or deleted less than the drain window ago. */
function attached(state: AccountState, now: number, drain: number, uses: (h: Holder) => boolean): Holder | undefined {
  for (const h of state.holders.values()) {
    if (!uses(h)) continue;
    if (h.deletedAt === undefined || now < (h.releasedFrom ?? h.deletedAt) + drain) return h;
  }
  return undefined;
}

const deletesDrain: Rule = {
  id: 'ec2.deletes-drain',
  description:
    'SGs/subnets in use by an ALB, service ENIs, NAT or instances (alive, or deleted < window ago): DependencyViolation; so is IGW detach',
  // EC2 API DeleteSecurityGroup / DeleteSubnet / DetachInternetGateway (DependencyViolation); ENIs of deleted ALBs, tasks and NAT
  // gateways are released minutes later (real-aws.md, "Deletes drain"; kubernetes/kops#1604, genevieve/leftovers#33).
  source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html',
  check(req, { state, now, windows }) {
    if (req.service !== 'ec2') return undefined;
    const f = req.form;
    if (
      req.operation === 'DeleteSecurityGroup' &&
      f.GroupId &&
      attached(state, now, windows.drain, (h) => h.securityGroups.includes(f.GroupId!))
    ) {
      return refuse('DependencyViolation', `resource ${f.GroupId} has a dependent object`);
    }
    if (req.operation === 'DeleteSubnet' && f.SubnetId && attached(state, now, windows.drain, (h) => h.subnets.includes(f.SubnetId!))) {
      return refuse('DependencyViolation', `The subnet '${f.SubnetId}' has dependencies and cannot be deleted.`);
    }
    if (req.operation === 'DetachInternetGateway' && f.VpcId) {
      const inVpc = (h: Holder) => h.publicIp && h.subnets.some((s) => state.subnetVpc.get(s) === f.VpcId);
      if (attached(state, now, windows.drain, inVpc)) {
        const text = `Network ${f.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`;
        return refuse('DependencyViolation', text);
      }
    }
    return undefined;
  },
};

const releaseAfterNat: Rule = {
  id: 'ec2.release-address-after-nat',
  description: "ReleaseAddress of a NAT's EIP: InUse while the NAT lives, then AuthFailure for a window after it shows deleted",
  // real-aws.md #14: eformat/sno-for-100#5 and #9, kubernetes/kops#1604 and #938, genevieve/leftovers#33.
  source: 'https://github.com/kubernetes/kops/issues/1604',
  check(req, { state, now, windows }) {
    if (req.service !== 'ec2' || req.operation !== 'ReleaseAddress' || !req.form.AllocationId) return undefined;
    for (const nat of state.nats.values()) {
      if (nat.allocationId !== req.form.AllocationId) continue;
      if (nat.deletedAt === undefined) return refuse('InvalidIPAddress.InUse', `Address ${req.form.AllocationId} is in use.`);
      const gone = nat.shownDeletedAt ?? nat.deletedAt + windows.natDeleting;
      if (now < gone + windows.releaseAfterNat)
        return refuse('AuthFailure', 'You do not have permission to access the specified resource.');
    }
    return undefined;
  },
};

/** NAT state at `now` as real AWS would show it, or undefined to keep moto's. */
function natState(req: AwsRequest, ctx: RuleContext, id: string): string | undefined {
  if (req.operation === 'CreateNatGateway') return ctx.windows.natPending > 0 ? 'pending' : undefined;
  const nat = ctx.state.nats.get(id);
  if (!nat) return undefined;
  if (nat.deletedAt !== undefined) return ctx.now - nat.deletedAt < ctx.windows.natDeleting ? 'deleting' : undefined;
  return ctx.now - nat.createdAt < ctx.windows.natPending ? 'pending' : undefined;
}

const natStates: Rule = {
  id: 'ec2.nat-gateway-states',
  description: 'A new NAT gateway is "pending" for a window (Create and Describe), a deleted one "deleting"',
  // EC2 API, NatGateway `State` (pending | failed | available | deleting | deleted); CreateNatGateway returns pending.
  source: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGateway.html',
  rewrite(req, body, ctx) {
    if (req.service !== 'ec2' || (req.operation !== 'CreateNatGateway' && req.operation !== 'DescribeNatGateways')) return undefined;
    const out = rewriteStates(body, 'natGatewayId', /<state>([^<]+)<\/state>/, (id) => natState(req, ctx, id));
    return out === body ? undefined : out;
  },
};

export const EC2_RULES: Rule[] = [eventualConsistency, deletesDrain, releaseAfterNat, natStates];
