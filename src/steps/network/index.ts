import type { StepModule } from '../../engine/types.js';
import { buildNetwork } from './build.js';
import { existingNetwork } from './existing.js';
import type { Observed } from './observe.js';
import { planNetwork, replaceError } from './plan.js';
import { destroyNetwork } from './teardown.js';
import { networkPermissions } from './permissions.js';

/**
 * The network: a VPC with public subnets, an internet gateway and a public route table; in the
 * production profile also private subnets; or your own VPC (network.vpcId), which ecs-kit only
 * reads. The pieces: layout.ts (subnet and zone math), observe.ts (what exists), plan.ts (drift),
 * build.ts and route-tables.ts (apply), teardown.ts, existing.ts (your own VPC). The production
 * profile's NAT gateways and private routes are a step of their own (private-tier.ts, nat.ts), so
 * nothing but what routes through them waits while they are pending.
 */

export interface NetworkState {
  vpcId: string;
  cidr: string;
  availabilityZones: string[];
  publicSubnetIds: string[];
  internetGatewayId: string;
  publicRouteTableId: string;
  /** How the network was built; absent in manifests from before profiles (= learning). */
  profile?: 'learning' | 'production' | 'existing';
  /** Production profile / your own VPC: tasks run here, without public IPs (their NAT gateways and routes: the nat step). */
  privateSubnetIds?: string[];
}

/** Plan data of the network ecs-kit builds: what exists, and (when a subnet is missing) where new ones go. */
export interface BuiltNetworkData {
  observed: Observed;
  /** Zones for subnets that must be created. */
  azs?: string[];
  /** The size of the subnets the network already has: new ones get the same (never overlap). */
  blockPrefix?: number;
}

/** Plan data for your own VPC: the ids apply records (nothing is changed). */
export interface ExistingNetworkData {
  existing: NetworkState;
}

export type NetworkPlanData = BuiltNetworkData | ExistingNetworkData;

export { natCount, natIndexFor, pickAvailabilityZones, subnetLayout, taskPlacement } from './layout.js';
export { afterNat, hasNatTier, natStep, type NatState } from './private-tier.js';

export const networkStep: StepModule<NetworkState, NetworkPlanData> = {
  kind: 'network',
  title: () => 'Network (VPC, subnets, gateways)',
  resourceKinds: ['ec2:vpc', 'ec2:subnet', 'ec2:internet-gateway', 'ec2:route-table'],
  permissions: networkPermissions,
  instances: () => [{ dependsOn: [] }],

  plan: planNetwork,

  async apply(ctx, plan): Promise<NetworkState> {
    if (plan.action === 'replace') throw replaceError(plan.changes);
    // Every create/update plan carries what it read.
    const data = plan.data!;
    // Your own VPC: nothing is created, apply just records the ids.
    if ('existing' in data) return data.existing;
    return buildNetwork(ctx, data);
  },

  async destroy(ctx, state): Promise<void> {
    if (state.profile === 'existing') return existingNetwork.destroy(ctx, state);
    return destroyNetwork(ctx, state);
  },
};
