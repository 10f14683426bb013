import { formatCidr, networkOf, parseCidr } from '../../config/cidr.js';
import type { AvailabilityZone } from '@aws-sdk/client-ec2';
import { FARGATE_ZONE_IDS, fargateSupportsZone } from '../../aws/fargate-zones.js';
import type { Config } from '../../config/schema.js';
import { EcsKitError, ExitCode } from '../../errors.js';
import type { NetworkState } from './index.js';

// ---------------------------------------------------------------------------------------
// Subnet layout and zone choice (pure). The VPC CIDR is cut into equal blocks: public subnets
// take blocks 0–3 (one per AZ), private subnets (production profile) blocks 4–7, and the rest
// stay free — so adding an AZ or the private tier later never moves a subnet.

/** "learning": public subnets only (tasks get public IPs). "production": adds private subnets + NAT. */
export type NetworkProfile = 'learning' | 'production';

/** Default number of availability zones (an ALB needs two). */
export const AZ_COUNT = 2;
const MAX_AZS = 4;
const PRIVATE_OFFSET = MAX_AZS;
/** 16 blocks per VPC… */
const BLOCK_BITS = 4;
/**
 * …but never smaller than /27: an ALB needs "a CIDR block with at least a /27 bitmask" and 8 free
 * addresses in each of its subnets (ELB Application Load Balancers guide, "Subnets for your load
 * balancer", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html).
 * A /24 VPC therefore gets 8 blocks of /27: exactly the 4 public + 4 private slots.
 */
const SMALLEST_SUBNET = 27;

export interface SubnetSpec {
  role: string;
  tier: 'public' | 'private';
  /** Block index within the VPC CIDR. */
  block: number;
  cidr: string;
  availabilityZone: string;
}

export interface SubnetLayout {
  public: SubnetSpec[];
  private: SubnetSpec[];
}

/** The network address and prefix of a CIDR; ecs-kit's own config errors are worded for network.cidr. */
export function parseNetworkCidr(cidr: string): { base: number; prefix: number } {
  const c = parseCidr(cidr);
  if (!c)
    throw new EcsKitError('network.cidr', `${cidr} is not an IPv4 CIDR block.`, {
      fix: 'Use a block such as 10.0.0.0/16 for network.cidr.',
    });
  return { base: networkOf(c), prefix: c.prefix };
}

/** The subnet size (prefix) a new network of this CIDR gets: /prefix+4, at most /27. */
function blockPrefixFor(vpcPrefix: number): number {
  return Math.min(vpcPrefix + BLOCK_BITS, SMALLEST_SUBNET);
}

/**
 * `blockPrefix` overrides the size: a deployed network keeps the size its subnets already have
 * (older versions cut a /24 into /28s), so a subnet added later never overlaps an existing one.
 */
export function subnetLayout(
  cidr: string,
  azs: readonly string[],
  profile: NetworkProfile = 'learning',
  count = AZ_COUNT,
  blockPrefix?: number,
): SubnetLayout {
  const { base, prefix } = parseNetworkCidr(cidr);
  if (prefix < 16 || prefix > 24) {
    throw new EcsKitError('network.cidr', `network.cidr ${cidr} must be between /16 and /24.`, { fix: 'Use a block such as 10.0.0.0/16.' });
  }
  const subnetPrefix = blockPrefix ?? blockPrefixFor(prefix);
  // AWS subnets are /16 to /28, and the layout needs 8 blocks (4 public + 4 private slots).
  if (subnetPrefix > 28 || 2 ** (subnetPrefix - prefix) < PRIVATE_OFFSET + MAX_AZS) {
    throw new EcsKitError('network.cidr', `network.cidr ${cidr} cannot hold 8 subnets of /${subnetPrefix}.`, {
      fix: 'Use a block such as 10.0.0.0/16.',
    });
  }
  if (count < AZ_COUNT || count > MAX_AZS) {
    throw new EcsKitError('network.azs', `network.azs must be between ${AZ_COUNT} and ${MAX_AZS}, got ${count}.`);
  }
  if (azs.length < count) {
    throw new EcsKitError('network.azs', `The subnet layout needs ${count} availability zones, got ${azs.length}.`);
  }
  const size = 2 ** (32 - subnetPrefix);
  const block = (tier: 'public' | 'private', i: number, index: number): SubnetSpec => ({
    role: `${tier}-subnet-${i + 1}`,
    tier,
    block: index,
    cidr: formatCidr(base + index * size, subnetPrefix),
    availabilityZone: azs[i]!,
  });
  const zones = azs.slice(0, count);
  return {
    public: zones.map((_, i) => block('public', i, i)),
    private: profile === 'production' ? zones.map((_, i) => block('private', i, PRIVATE_OFFSET + i)) : [],
  };
}

/** True when a service of the config runs on Fargate (or Fargate Spot); EC2 capacity runs in any zone. */
export function usesFargate(config: Config | undefined): boolean {
  return Object.values(config?.services ?? {}).some((s) => s.capacity !== 'ec2');
}

/** A config error about network.zoneIds that needs no AWS call: Fargate does not run in a pinned zone. */
export function checkPinnedZones(region: string, zoneIds: readonly string[] | undefined, fargate: boolean): void {
  const bad = fargate ? (zoneIds ?? []).filter((id) => !fargateSupportsZone(region, id)) : [];
  if (!bad.length) return;
  throw new EcsKitError('network.zoneIds', `network.zoneIds: Fargate does not run in ${bad.join(', ')} in ${region}.`, {
    why: 'In some regions Fargate runs only in some availability zones, by zone ID (ECS guide, "Supported Regions for Amazon ECS on AWS Fargate").',
    fix: `Pin zones Fargate supports (${(FARGATE_ZONE_IDS[region] ?? []).join(', ')}), or remove network.zoneIds to let ecs-kit pick them.`,
    exitCode: ExitCode.Usage,
  });
}

export interface ZoneChoice {
  /** For messages and the Fargate zone table. */
  region?: string;
  /** How many zones (default 2). */
  count?: number;
  /** Only zones Fargate runs in (a service uses Fargate). */
  fargate?: boolean;
  /** network.zoneIds: exactly these zones, in this order. */
  zoneIds?: readonly string[];
  /** Per slot, a zone the deployed network already uses there (its subnets, else the manifest): it wins over a new pick. */
  keep?: readonly (string | undefined)[];
}

function pinnedZones(
  regular: readonly AvailabilityZone[],
  all: readonly AvailabilityZone[],
  zoneIds: readonly string[],
  region: string,
): string[] {
  return zoneIds.map((id, i) => {
    const zone = regular.find((z) => z.ZoneId === id);
    if (zone) return zone.ZoneName!;
    const known = all.find((z) => z.ZoneId === id);
    throw new EcsKitError(
      'network.zoneIds',
      `network.zoneIds[${i}]: ${id} ${known ? `is ${known.State ?? 'not available'} (not an available regular zone)` : `is not an availability zone of ${region} in this account`}.`,
      {
        fix: `Use zone IDs of ${region} from \`aws ec2 describe-availability-zones\`: ${
          regular
            .map((z) => z.ZoneId)
            .filter(Boolean)
            .join(', ') || 'none found'
        }.`,
        exitCode: ExitCode.Usage,
      },
    );
  });
}

/**
 * Zone names for each slot: pinned zoneIds as given; otherwise the zone a slot already uses, then
 * the first regular zones by name that are not taken (only zones Fargate runs in, when a service
 * uses Fargate: zone names map to different zone IDs in every account). Local/wavelength zones and
 * impaired zones are skipped.
 */
export function pickAvailabilityZones(zones: readonly AvailabilityZone[], choice: ZoneChoice = {}): string[] {
  const region = choice.region ?? 'this region';
  const count = choice.count ?? AZ_COUNT;
  const regular = zones.filter(
    (z) => z.State === 'available' && (z.ZoneType === undefined || z.ZoneType === 'availability-zone') && z.ZoneName,
  );
  if (choice.zoneIds?.length) return pinnedZones(regular, zones, choice.zoneIds, region);
  const candidates = regular
    .filter((z) => !choice.fargate || fargateSupportsZone(region, z.ZoneId))
    .map((z) => z.ZoneName!)
    .sort();
  const names = new Set(regular.map((z) => z.ZoneName!));
  const picked: (string | undefined)[] = Array.from({ length: count }, (_, i) => {
    const kept = choice.keep?.[i];
    return kept && names.has(kept) ? kept : undefined;
  });
  const free = candidates.filter((n) => !picked.includes(n));
  const result = picked.map((p) => p ?? free.shift());
  if (result.some((r) => r === undefined)) {
    const skipped = regular.length - candidates.length;
    throw new EcsKitError(
      'network.azs',
      `Only ${candidates.length} availability zone(s) are available in ${region}${skipped ? ' for Fargate' : ''}; the config asks for ${count}.`,
      {
        why: `The load balancer and the service are spread over several availability zones for resilience, and an ALB requires two.${skipped ? ` Fargate does not run in ${skipped} of this region's zones.` : ''}`,
        fix:
          count > AZ_COUNT
            ? 'Set network.azs to 2, or deploy to a region with more zones.'
            : 'Deploy to a region with at least two available zones (set region in ecs-kit.yml or pass --region).',
      },
    );
  }
  return result as string[];
}

/** How many NAT gateways a layout needs: none (learning), one (single) or one per AZ. */
export function natCount(profile: NetworkProfile, nat: 'single' | 'per-az', azs: number): number {
  if (profile !== 'production') return 0;
  return nat === 'per-az' ? azs : 1;
}

/** Which NAT (index) private subnet i routes through. */
export function natIndexFor(i: number, nats: number): number {
  return nats <= 1 ? 0 : i % nats;
}

/** Subnets and public-IP setting for tasks: private subnets when there are any. */
export function taskPlacement(network: NetworkState): { subnets: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' } {
  const priv = network.privateSubnetIds ?? [];
  if (priv.length) return { subnets: [...priv], assignPublicIp: 'DISABLED' };
  return { subnets: [...network.publicSubnetIds], assignPublicIp: 'ENABLED' };
}
