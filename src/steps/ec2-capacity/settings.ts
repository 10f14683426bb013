import { isPublic } from '../../config/services.js';
import { EC2_DEFAULTS, type Config } from '../../config/schema.js';

// ---------------------------------------------------------------------------------------
// What the config asks of the EC2 capacity (pure: no AWS calls).

interface Ec2Settings {
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
export function needsLbIngress(config: Config | undefined): boolean {
  return Object.values(config?.services ?? {}).some((s) => s.capacity === 'ec2' && s.networkMode === 'bridge' && isPublic(s));
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
  const names = Object.entries(config.services)
    .filter(([, svc]) => svc.capacity === 'ec2' && svc.networkMode === 'awsvpc')
    .map(([name]) => name);
  if (!names.length) return undefined;
  const fields = names.map((name) => `services.${name}.networkMode`).join(', ');
  return (
    `${fields}: awsvpc tasks on EC2 get no public IP, and ${net.vpcId ? 'network.privateSubnetIds is empty' : 'the learning network has no NAT gateway'}, ` +
    `so ${names.join(', ')} cannot reach the internet or AWS APIs (serving traffic from the load balancer works). ` +
    `If the app needs outbound access, use network.profile: production (private subnets + NAT), your own VPC with privateSubnetIds, or networkMode: bridge.`
  );
}
