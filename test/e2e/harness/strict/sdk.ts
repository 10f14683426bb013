import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSMClient } from '@aws-sdk/client-ssm';

/** Plain SDK clients at one endpoint (the layer, or moto itself), with no retries: the self-tests see every answer. */
export function sdk(endpoint: string) {
  const cfg = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
  return {
    ec2: new EC2Client(cfg),
    ecs: new ECSClient(cfg),
    elb: new ElasticLoadBalancingV2Client(cfg),
    iam: new IAMClient(cfg),
    logs: new CloudWatchLogsClient(cfg),
    ssm: new SSMClient(cfg),
    asg: new AutoScalingClient(cfg),
    aas: new ApplicationAutoScalingClient(cfg),
    scheduler: new SchedulerClient(cfg),
    sqs: new SQSClient(cfg),
  };
}
export type Sdk = ReturnType<typeof sdk>;

/** The error a promise rejects with (fails the test when it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
