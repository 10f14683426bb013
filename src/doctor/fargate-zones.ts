import { DescribeAvailabilityZonesCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { FARGATE_ZONE_IDS, fargateSupportsZone } from '../aws/fargate-zones.js';
import type { NetworkState } from '../steps/network/index.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from './types.js';

/** Your own VPC: are the subnets the tasks will use in zones where Fargate runs? */
async function ownSubnets(ctx: DoctorContext, only: readonly string[]): Promise<CheckOutcome> {
  const n = ctx.config.network;
  const field = n.privateSubnetIds?.length ? 'network.privateSubnetIds' : 'network.publicSubnetIds';
  const ids = (n.privateSubnetIds?.length ? n.privateSubnetIds : n.publicSubnetIds) ?? [];
  const subnets = ids.length ? ((await ctx.aws.ec2().send(new DescribeSubnetsCommand({ SubnetIds: ids }))).Subnets ?? []) : [];
  const bad = subnets.filter((s) => !fargateSupportsZone(ctx.region, s.AvailabilityZoneId));
  const details = subnets.map(
    (s) => `${s.SubnetId}: ${s.AvailabilityZone} (${s.AvailabilityZoneId})${bad.includes(s) ? ', Fargate does not run here' : ''}`,
  );
  const fix = `In ${ctx.region} Fargate runs only in zones ${only.join(', ')} (zone IDs); list subnets in those zones under ${field}.`;
  if (subnets.length > 0 && bad.length === subnets.length) {
    return { status: 'fail', message: 'none of the task subnets is in a zone where Fargate runs', fix, details };
  }
  if (bad.length) {
    const message = `${bad.length} of ${subnets.length} task subnets are in zones where Fargate does not run; tasks placed there fail`;
    return { status: 'warn', message, fix, details };
  }
  return { status: 'ok', message: `the task subnets are in zones where Fargate runs`, details };
}

/**
 * 5. In some regions Fargate runs only in some zone IDs (src/aws/fargate-zones.ts, from the ECS
 * Developer Guide "Supported Regions for Amazon ECS on AWS Fargate"), and zone names map to
 * different IDs in every account. Regions without a restriction need no AWS call.
 */
export const fargateZonesCheck: DoctorCheck = {
  name: 'fargate-zones',
  needsIdentity: true,
  async run(ctx) {
    const fargate = Object.entries(ctx.config.services).filter(([, s]) => s.capacity !== 'ec2');
    if (fargate.length === 0) return { status: 'skip', message: 'no Fargate services (all use capacity: ec2)' };
    const only = FARGATE_ZONE_IDS[ctx.region];
    if (!only) return { status: 'ok', message: `Fargate runs in every availability zone of ${ctx.region}` };
    if (ctx.config.network.vpcId) return ownSubnets(ctx, only);

    const out = await ctx.aws.ec2().send(new DescribeAvailabilityZonesCommand({}));
    const zones = (out.AvailabilityZones ?? []).filter(
      (z) => z.State === 'available' && (z.ZoneType === undefined || z.ZoneType === 'availability-zone'),
    );
    const supported = zones.filter((z) => fargateSupportsZone(ctx.region, z.ZoneId));
    const needed = ctx.config.network.azs;
    const label = (z: (typeof zones)[number]) => `${z.ZoneName} (${z.ZoneId})`;
    const details = [`zones where Fargate runs: ${supported.map(label).join(', ') || 'none'}`];
    if (supported.length < needed) {
      return {
        status: 'fail',
        message: `only ${supported.length} available zone(s) of ${ctx.region} run Fargate; network.azs asks for ${needed}`,
        fix:
          supported.length >= 2
            ? `Set network.azs: ${supported.length}.`
            : 'Deploy to another region (set region: in ecs-kit.yml or pass --region).',
        details,
      };
    }
    // A network deployed before zones were picked by ID may sit in a zone Fargate skips.
    const deployed = (ctx.manifest?.steps['network']?.state as Partial<NetworkState> | undefined)?.availabilityZones ?? [];
    const stuck = zones.filter((z) => deployed.includes(z.ZoneName!) && !fargateSupportsZone(ctx.region, z.ZoneId));
    if (stuck.length) {
      return {
        status: 'warn',
        message: `the deployed network has subnets in ${stuck.map(label).join(', ')}, where Fargate does not run; tasks placed there fail`,
        fix: `Recreate the network (ecs-kit teardown, then deploy) so its subnets sit in zones ${only.join(', ')}.`,
        details,
      };
    }
    return {
      status: 'ok',
      message: `${supported.length} of ${zones.length} zones of ${ctx.region} run Fargate; the config needs ${needed}`,
      details,
    };
  },
};
