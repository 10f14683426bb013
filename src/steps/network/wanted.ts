import { normalizeCidr } from '../../config/cidr.js';
import type { StepContext } from '../../engine/types.js';
import type { NetworkState } from './index.js';
import { AZ_COUNT, natCount, type NetworkProfile } from './layout.js';

/** The network the config asks for (on teardown, what the manifest recorded). */
export interface Wanted {
  cidr: string;
  profile: NetworkProfile;
  azs: number;
  nats: number;
  zoneIds?: string[];
}

export function wanted(ctx: StepContext<NetworkState>): Wanted {
  const n = ctx.config?.network;
  const profile = n?.profile ?? 'learning';
  const azs = n?.azs ?? AZ_COUNT;
  const cidr = normalizeCidr(n?.cidr ?? ctx.previous?.cidr ?? '10.0.0.0/16');
  return { cidr, profile, azs, nats: natCount(profile, n?.nat ?? 'single', azs), zoneIds: n?.zoneIds };
}
