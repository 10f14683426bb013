/** The one service init writes; more can be added by hand. */
export const SERVICE_NAME = 'web';

export type Source = { image: string } | { build: { context: string; dockerfile: string } };

export type NetworkProfile = 'learning' | 'production';
export type NatMode = 'single' | 'per-az';
export type Capacity = 'fargate' | 'fargate-spot' | 'ec2';

export interface ExistingVpc {
  vpcId: string;
  publicSubnetIds: string[];
  privateSubnetIds: string[];
}

/** Everything init learned from flags and questions: what document.ts turns into the config file. */
export interface Answers {
  app: string;
  region: string;
  source: Source;
  port: number;
  cpu: number;
  memory: number;
  desiredCount: number;
  healthCheckPath: string;
  environment: Record<string, string>;
  autoscaling?: { min: number; max: number; targetCpu: number };
  network: { profile: NetworkProfile; nat: NatMode; azs: 2 | 3; existing?: ExistingVpc };
  capacity: Capacity;
  ec2?: { instanceType: string };
}
