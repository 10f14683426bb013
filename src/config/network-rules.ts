import { FARGATE_ZONE_IDS, fargateSupportsZone } from '../aws/fargate-zones.js';
import { humanList } from './fargate.js';
import type { Config } from './schema.js';
import { hasLoadBalancer } from './services.js';

/*
 * The rules of the network: and ec2: blocks that span fields (part of checkRules in schema.ts): a VPC you bring with its
 * subnets, zone IDs, and the container instances' min/desired/max.
 */

type Add = (path: (string | number)[], message: string) => void;

export function checkNetworkRules(config: Config, add: Add): void {
  const n = config.network;
  if (n.vpcId) {
    if (!n.publicSubnetIds?.length && !n.privateSubnetIds?.length)
      add(['network', 'publicSubnetIds'], 'with network.vpcId, list the subnets to use: publicSubnetIds (and privateSubnetIds for tasks)');
    const publicCount = n.publicSubnetIds?.length ?? 0;
    if (hasLoadBalancer(config) && publicCount < 2) {
      add(['network', 'publicSubnetIds'], 'the load balancer needs at least 2 public subnets in different availability zones');
    }
    const both = (n.publicSubnetIds ?? []).filter((id) => n.privateSubnetIds?.includes(id));
    if (both.length) add(['network', 'privateSubnetIds'], `${both.join(', ')} is listed as both public and private`);
  } else if (n.publicSubnetIds || n.privateSubnetIds) {
    add(['network', 'vpcId'], 'publicSubnetIds/privateSubnetIds need network.vpcId (the VPC they belong to)');
  }
  if (n.zoneIds) checkZoneIds(config, n.zoneIds, add);
}

/**
 * The ec2: block (container instances for capacity: ec2). What needs AWS to know (the instance type's architecture
 * against the services', whether ec2.ami exists) is checked by the capacity step's plan, before any change.
 */
export function checkEc2Rules(config: Config, add: Add): void {
  const ec2 = config.ec2;
  if (!ec2) return;
  if (ec2.min > ec2.max) add(['ec2', 'min'], `${ec2.min} is greater than max (${ec2.max}); make min ≤ max`);
  if (ec2.desired < ec2.min || ec2.desired > ec2.max) add(['ec2', 'desired'], `${ec2.desired} is outside min/max (${ec2.min}–${ec2.max})`);
}

function checkZoneIds(config: Config, zoneIds: string[], add: Add): void {
  const at = ['network', 'zoneIds'];
  if (config.network.vpcId)
    add(at, 'is for the VPC ecs-kit creates; with network.vpcId your subnets decide the zones, so remove network.zoneIds');
  const twice = zoneIds.find((id, i) => zoneIds.indexOf(id) !== i);
  if (twice) add(at, `lists ${twice} twice; give ${zoneIds.length} different zones`);
  const regions = new Set(zoneIds.map((id) => id.replace(/-az[0-9]+$/, '')));
  if (regions.size > 1) add(at, `mixes zones of different regions (${[...regions].join(', ')}); list zones of the region you deploy to`);
  // Fargate runs only in some zone IDs of some regions (ECS guide, "Supported Regions for Amazon ECS on AWS Fargate").
  const region = config.region;
  if (!region || !Object.values(config.services).some((s) => s.capacity !== 'ec2')) return;
  zoneIds.forEach((id, i) => {
    if (!fargateSupportsZone(region, id))
      add(
        [...at, i],
        `Fargate does not run in ${id} in ${region}; use ${humanList(FARGATE_ZONE_IDS[region] ?? [])}, or remove network.zoneIds`,
      );
  });
}
