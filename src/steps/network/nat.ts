import { createHash } from 'node:crypto';
import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  ReleaseAddressCommand,
  type Address,
  type NatGateway,
} from '@aws-sdk/client-ec2';
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { TAG_ROLE, isOwnedBy, ownerFilters, type Owner } from '../../aws/tags.js';
import { EcsKitError } from '../../errors.js';
import type { StepContext } from '../../engine/types.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { deleteWithRetry, ignoreErrors } from '../../aws/deletion.js';
import { describeAll, describeOne } from '../../aws/ec2-describe.js';
import { tagSpec, tagValue } from '../../aws/ec2-tags.js';
import { untilVisible } from '../../aws/ec2-visibility.js';
import { waitFor } from '../../aws/poll.js';

/**
 * NAT gateways of the production profile and their Elastic IPs: create (with a client token
 * per attempt), wait until available (re-creating one that failed because AWS had not caught up
 * yet), delete, and release the addresses once AWS lets go of them.
 */

export const NAT_ROLE = (i: number) => `nat-gateway-${i + 1}`;
export const EIP_ROLE = (i: number) => `nat-eip-${i + 1}`;

export const liveNat = (n: NatGateway) => n.State === 'pending' || n.State === 'available';
const deadNat = (state?: string) => state === 'failed' || state === 'deleting' || state === 'deleted';

/**
 * CreateNatGateway FailureCodes that a new create can fix: AWS had not yet made the new address,
 * subnet or gateway attachment visible, or hit an internal error (EC2 API, NatGateway FailureCode).
 * A dead NAT gateway without a FailureCode was deleted: a replayed request, or deleted under us.
 */
const RETRYABLE_FAILURES = ['InvalidAllocationID.NotFound', 'InvalidSubnetID.NotFound', 'Gateway.NotAttached', 'InternalError'];
const recreatable = (n: NatGateway) => !n.FailureCode || RETRYABLE_FAILURES.includes(n.FailureCode);
/** Creates per NAT gateway slot and run, replays and failures included. */
const MAX_CREATES = 3;

export async function ownNats(ctx: StepContext, vpcId: string): Promise<NatGateway[]> {
  const ec2 = ctx.aws.ec2();
  const nats = await describeAll(
    (i) => ec2.send(new DescribeNatGatewaysCommand(i)),
    { Filter: [{ Name: 'vpc-id', Values: [vpcId] }, ...ownerFilters(ctx.owner)] },
    (o) => o.NatGateways,
  );
  return nats.filter((n) => isOwnedBy(n.Tags, ctx.owner));
}

/** DescribeAddresses has no pagination: one call returns every address. */
export async function ownAddresses(ctx: StepContext): Promise<Address[]> {
  const out = await ctx.aws.ec2().send(new DescribeAddressesCommand({ Filters: ownerFilters(ctx.owner) }));
  return (out.Addresses ?? []).filter((a) => isOwnedBy(a.Tags, ctx.owner));
}

/** Our NAT gateways of this role that failed or were deleted: each spent one client token. */
export function spentAttempts(nats: readonly NatGateway[], role: string): number {
  return nats.filter((n) => deadNat(n.State) && tagValue(n.Tags, TAG_ROLE) === role).length;
}

/**
 * The ClientToken of one create attempt. EC2 answers a repeated token with the original request's
 * result, which for a reused address can be a NAT gateway that has since failed or been deleted;
 * so the attempt number is part of it. Attempt 1 + the dead NAT gateways we can see makes a rerun
 * after a crash repeat the crashed run's request (and get its NAT gateway back) rather than make a
 * second one; a replay that still answers with a dead one moves on to the next attempt.
 */
export function natClientToken(owner: Owner, role: string, subnetId: string, allocationId: string, attempt: number): string {
  return createHash('sha256').update(`${owner.app}/${owner.env}/${role}/${subnetId}/${allocationId}/${attempt}`).digest('hex').slice(0, 64);
}

export interface NatSlot {
  /** A live NAT gateway found for this slot. */
  existing?: { id: string; allocationId?: string; state?: string };
  /** The public subnet it lives in. */
  subnetId: string;
  /** An address of ours for this slot that nothing uses (left by an earlier run): reused, not leaked. */
  freeAllocationId?: string;
  /** Dead NAT gateways of this slot (see natClientToken). */
  spent: number;
}

export interface NatResult {
  id: string;
  allocationId: string;
}

interface Tracked extends NatResult {
  slot: number;
  attempt: number;
  creates: number;
  pending: boolean;
}

function natFailedError(nat: NatGateway, why: string): EcsKitError {
  const reason = nat.FailureCode ? `${nat.FailureCode}: ${nat.FailureMessage ?? ''}`.trim() : `it is ${nat.State ?? 'gone'}`;
  return new EcsKitError('network.nat-failed', `NAT gateway ${nat.NatGatewayId} could not be created (${reason}).`, {
    why,
    fix:
      nat.FailureCode === 'InsufficientFreeAddressesInSubnet'
        ? 'Free addresses in the public subnet (or deploy with a larger network.cidr to a new --env), then run the deploy again.'
        : 'Run the deploy again; ecs-kit creates a new NAT gateway and resumes where it stopped.',
  });
}

async function createNat(ctx: StepContext, t: Tracked, slot: NatSlot, created: Set<string>): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const role = NAT_ROLE(t.slot);
  for (;;) {
    t.creates++;
    // Idempotent by its token, so the retrying client may repeat it, also while the new subnet or address is not visible yet.
    const out = await untilVisible(ctx, created, [slot.subnetId, t.allocationId], () =>
      ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: slot.subnetId,
          AllocationId: t.allocationId,
          ClientToken: natClientToken(ctx.owner, role, slot.subnetId, t.allocationId, t.attempt),
          TagSpecifications: tagSpec('natgateway', ctx.owner, role, `${ctx.names.prefix}-${role}`),
        }),
      ),
    );
    const nat = out.NatGateway!;
    if (!deadNat(nat.State)) {
      t.id = nat.NatGatewayId!;
      t.pending = nat.State !== 'available';
      created.add(t.id);
      return;
    }
    if (t.creates >= MAX_CREATES) throw natFailedError(nat, 'AWS kept answering with a NAT gateway that has failed or been deleted.');
    ctx.progress(`NAT gateway ${nat.NatGatewayId} from an earlier attempt is ${nat.State}; creating a new one`);
    t.attempt++;
  }
}

/** One slot's NAT gateway: the live one found, or a new one (with a new address, or the slot's free one). */
async function ensureSlot(ctx: StepContext, slot: NatSlot, i: number, count: number, created: Set<string>): Promise<Tracked> {
  if (slot.existing) {
    const pending = slot.existing.state === 'pending';
    return { id: slot.existing.id, allocationId: slot.existing.allocationId ?? '', slot: i, attempt: slot.spent + 1, creates: 0, pending };
  }
  let allocationId = slot.freeAllocationId;
  if (!allocationId) {
    const role = EIP_ROLE(i);
    allocationId = await createOnce({
      create: async () =>
        (
          await ctx.aws.once.ec2().send(
            new AllocateAddressCommand({
              Domain: 'vpc',
              TagSpecifications: tagSpec('elastic-ip', ctx.owner, role, `${ctx.names.prefix}-${role}`),
            }),
          )
        ).AllocationId!,
      find: async () =>
        (await ownAddresses(ctx)).find((a) => tagValue(a.Tags, TAG_ROLE) === role && !a.AssociationId && !a.NetworkInterfaceId)
          ?.AllocationId,
      ...onceOptions(ctx),
    });
    created.add(allocationId);
  }
  ctx.progress(`creating NAT gateway ${i + 1} of ${count}`);
  const t: Tracked = { id: '', allocationId, slot: i, attempt: slot.spent + 1, creates: 0, pending: true };
  await createNat(ctx, t, slot, created);
  return t;
}

/**
 * Make each slot's NAT gateway exist and be available. `record` is told the ids as soon as they
 * exist, before the long wait, so a killed run leaves them in the manifest.
 */
export async function ensureNatGateways(
  ctx: StepContext,
  slots: NatSlot[],
  created: Set<string>,
  record: (nats: NatResult[]) => Promise<void>,
): Promise<NatResult[]> {
  // Each slot's address and NAT gateway are independent of the other slots': created together.
  const tracked: Tracked[] = await Promise.all(slots.map((slot, i) => ensureSlot(ctx, slot, i, slots.length, created)));
  const result = () => tracked.map(({ id, allocationId }) => ({ id, allocationId }));
  await record(result());
  await waitForNats(ctx, tracked, slots, created, record, result);
  return result();
}

async function waitForNats(
  ctx: StepContext,
  tracked: Tracked[],
  slots: NatSlot[],
  created: Set<string>,
  record: (nats: NatResult[]) => Promise<void>,
  result: () => NatResult[],
): Promise<void> {
  for (;;) {
    const pending = tracked.filter((t) => t.pending).map((t) => t.id);
    if (!pending.length) return;
    const seen = await waitFor({
      what: `${pending.length === 1 ? `NAT gateway ${pending[0]}` : `${pending.length} NAT gateways`} to become available (usually 1–3 minutes)`,
      check: () => natsSettled(ctx, pending),
      timeoutMs: ctx.options.timeoutMs,
      signal: ctx.signal,
      progress: (m) => ctx.progress(m),
    });
    const dead = seen.filter((n) => deadNat(n.State));
    for (const nat of dead) {
      const t = tracked.find((x) => x.id === nat.NatGatewayId)!;
      if (!recreatable(nat) || !t.allocationId || t.creates >= MAX_CREATES) {
        throw natFailedError(nat, 'AWS reported the NAT gateway as failed or deleted while ecs-kit waited for it to become available.');
      }
      ctx.progress(`NAT gateway ${nat.NatGatewayId} is ${nat.State}${nat.FailureCode ? ` (${nat.FailureCode})` : ''}; creating it again`);
      t.attempt++;
      await createNat(ctx, t, slots[t.slot]!, created);
    }
    for (const t of tracked) if (seen.some((n) => n.NatGatewayId === t.id && n.State === 'available')) t.pending = false;
    if (dead.length) await record(result());
  }
}

/** One look at the pending NAT gateways: all available, or one failed or deleted (a new id not visible yet is pending). */
async function natsSettled(ctx: StepContext, ids: string[]): Promise<NatGateway[] | undefined> {
  let nats: NatGateway[];
  try {
    nats = (await ctx.aws.ec2().send(new DescribeNatGatewaysCommand({ NatGatewayIds: ids }))).NatGateways ?? [];
  } catch (err) {
    if (isAwsError(err, 'NatGatewayNotFound', 'InvalidNatGatewayID.NotFound')) return undefined;
    throw err;
  }
  const available = (id: string) => nats.some((n) => n.NatGatewayId === id && n.State === 'available');
  return nats.some((n) => deadNat(n.State)) || ids.every(available) ? nats : undefined;
}

/**
 * Delete NAT gateways, wait until they are gone (they hold the addresses), then release our
 * addresses. `natIds` may include gateways that are already deleted: their addresses are then
 * known to have been held by a NAT gateway. Independent calls go out together.
 */
export async function deleteNats(ctx: StepContext, natIds: string[], allocationIds: string[]): Promise<void> {
  const ec2 = ctx.aws.ec2();
  // Addresses that one of our NAT gateways held: AWS may refuse to release them for a while.
  const heldByNat = new Set<string>();
  const deleting = await Promise.all(
    natIds.map(async (id) => {
      const nat = await describeOne(
        () => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] })).then((o) => o.NatGateways?.[0]),
        'NatGatewayNotFound',
      );
      if (!nat) return undefined;
      if (!isOwnedBy(nat.Tags, ctx.owner)) {
        warnLeftInPlace(ctx, `NAT gateway ${id}`);
        return undefined;
      }
      for (const a of nat.NatGatewayAddresses ?? []) if (a.AllocationId) heldByNat.add(a.AllocationId);
      if (nat.State === 'deleted' || nat.State === 'failed') return undefined;
      if (nat.State !== 'deleting')
        await ec2
          .send(new DeleteNatGatewayCommand({ NatGatewayId: id }))
          .catch(ignoreErrors('NatGatewayNotFound', 'InvalidNatGatewayID.NotFound'));
      return id;
    }),
  ).then((ids) => ids.filter((id): id is string => Boolean(id)));
  if (deleting.length) {
    await waitFor({
      what: `${deleting.length === 1 ? `NAT gateway ${deleting[0]}` : `${deleting.length} NAT gateways`} to be deleted (usually about a minute)`,
      check: async () => {
        const out = await ec2
          .send(new DescribeNatGatewaysCommand({ NatGatewayIds: deleting }))
          .catch(ignoreErrors('NatGatewayNotFound', 'InvalidNatGatewayID.NotFound'));
        return (out?.NatGateways ?? []).every((n) => n.State === 'deleted') ? true : undefined;
      },
      timeoutMs: ctx.options.destroyRetryMs,
      signal: ctx.signal,
      progress: (m) => ctx.progress(m),
    });
  }
  await Promise.all(allocationIds.map((allocationId) => releaseAddress(ctx, allocationId, heldByNat.has(allocationId))));
}

async function releaseAddress(ctx: StepContext, allocationId: string, heldByNat: boolean): Promise<void> {
  const ec2 = ctx.aws.ec2();
  const address = await describeOne(
    () => ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] })).then((o) => o.Addresses?.[0]),
    'InvalidAllocationID.NotFound',
  );
  if (!address) return;
  if (!isOwnedBy(address.Tags, ctx.owner)) {
    warnLeftInPlace(ctx, `Elastic IP ${allocationId}`);
    return;
  }
  // The NAT's network interface holds the address for a while after the NAT shows as deleted, and
  // meanwhile EC2 answers AuthFailure "You do not have permission to access the specified resource"
  // (kubernetes/kops#938, eformat/sno-for-100#9, genevieve/leftovers#33): retried only in that case.
  try {
    await deleteWithRetry(ctx, () => ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId })), {
      what: `Elastic IP ${allocationId}`,
      retryOn: ['InvalidIPAddress.InUse', 'DependencyViolation', ...(heldByNat ? ['AuthFailure'] : [])],
      goneOn: ['InvalidAllocationID.NotFound'],
    });
  } catch (err) {
    if (!heldByNat || !isAwsError(err, 'AuthFailure')) throw err;
    throw new EcsKitError('network.eip-not-released', `AWS has not released Elastic IP ${allocationId} from the deleted NAT gateway yet.`, {
      why: 'EC2 refuses to release an address (AuthFailure, "You do not have permission to access the specified resource") until the deleted NAT gateway has let go of it, sometimes minutes after it shows as deleted. Your credentials are fine.',
      fix: 'Run `ecs-kit teardown` again in a minute (or `ecs-kit deploy`, if this happened while switching network.nat to single); it resumes where it stopped.',
      cause: err,
    });
  }
}
