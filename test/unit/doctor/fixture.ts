import { ACMClient } from '@aws-sdk/client-acm';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { isMutatingOperation } from '../../../src/aws/operations.js';
import { AwsClients } from '../../../src/aws/clients.js';
import { partitionOf } from '../../../src/aws/partition.js';
import { namesFor } from '../../../src/config/names.js';
import type { DoctorContext } from '../../../src/doctor/types.js';
import { emptyManifest, type Manifest } from '../../../src/engine/manifest.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { config } from '../../helpers/context.js';

export const ACCOUNT = '123456789012';

/** Every client a doctor check may use, strict: a command a test did not set up fails it. */
export const mocks = {
  sts: mockClient(STSClient),
  ec2: mockClient(EC2Client),
  iam: mockClient(IAMClient),
  elb: mockClient(ElasticLoadBalancingV2Client),
  quotas: mockClient(ServiceQuotasClient),
  acm: mockClient(ACMClient),
  ecr: mockClient(ECRClient),
  ssm: mockClient(SSMClient),
  sm: mockClient(SecretsManagerClient),
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const all = Object.values(mocks) as AwsStub<any, any, any>[];

/** Call in a test file's top level: fresh strict mocks before every test. */
export function useStrictMocks(): void {
  beforeEach(() => {
    for (const m of all) {
      m.reset();
      strict(m);
    }
  });
}

/** Every command any mock received, e.g. ['GetRole', 'DescribeVpcs']. */
export const calls = (): string[] => all.flatMap((m) => commandNames(m));
export const mutatingCalls = (): string[] => calls().filter(isMutatingOperation);

export const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });

/** A doctor context for `yaml` (default: one public service), as after a passing credentials check. */
export function doctorContext(yaml?: string, o: { region?: string; identity?: boolean; manifest?: Manifest } = {}): DoctorContext {
  const cfg = config(yaml);
  const region = o.region ?? 'us-east-1';
  return {
    aws: new AwsClients({ region, maxAttempts: 1 }),
    config: cfg,
    env: 'default',
    region,
    partition: partitionOf(region),
    names: namesFor(cfg.app, 'default'),
    ...(o.identity === false ? {} : { identity: { account: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci` } }),
    ...(o.manifest ? { manifest: o.manifest } : {}),
  };
}

/** A manifest that records one step's state (what ecs-kit already owns). */
export function manifestWith(steps: Record<string, Record<string, unknown>>): Manifest {
  const m = emptyManifest('shop', 'default', ACCOUNT, 'us-east-1');
  for (const [id, state] of Object.entries(steps)) m.steps[id] = { kind: id.split(':')[0]!, dependsOn: [], state, updatedAt: m.updatedAt };
  return m;
}
