import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { isMutatingOperation } from './operations.js';

export interface AwsCallInfo {
  service: string;
  operation: string;
  mutating: boolean;
  durationMs: number;
  ok: boolean;
  errorName?: string;
}

export interface ClientOptions {
  region?: string;
  profile?: string;
  /** --endpoint-url; when absent the SDK itself honours AWS_ENDPOINT_URL(_<SERVICE>). */
  endpoint?: string;
  maxAttempts?: number;
  retryMode?: 'standard' | 'adaptive' | 'legacy';
  /** Called after every AWS call; powers --verbose tracing and the call counts in `npm run bench`. */
  onCall?: (info: AwsCallInfo) => void;
}

type AnyClient = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  middlewareStack: { add: (mw: any, opts: any) => void };
  config: { region: () => Promise<string> };
  destroy: () => void;
};

/**
 * One place that builds every AWS client with the same region, credentials, endpoint
 * and retry strategy. Clients are created on first use and reused.
 */
export class AwsClients {
  private readonly cache = new Map<string, AnyClient>();

  constructor(readonly options: ClientOptions) {}

  private get<T extends AnyClient>(key: string, Ctor: new (cfg: Record<string, unknown>) => T, once = false): T {
    const cacheKey = once ? `${key}#once` : key;
    let client = this.cache.get(cacheKey) as T | undefined;
    if (!client) {
      const { region, profile, endpoint, retryMode } = this.options;
      const cfg: Record<string, unknown> = {};
      if (region) cfg.region = region;
      if (profile) cfg.profile = profile;
      if (endpoint) cfg.endpoint = endpoint;
      // The SDK reads AWS_MAX_ATTEMPTS / AWS_RETRY_MODE itself; explicit flags win.
      cfg.maxAttempts = once ? 1 : this.maxAttempts();
      cfg.retryMode = retryMode ?? process.env.AWS_RETRY_MODE ?? 'adaptive';
      client = new Ctor(cfg);
      this.instrument(client, key);
      this.cache.set(cacheKey, client);
    }
    return client;
  }

  /** The configured attempt budget per call (flag, then AWS_MAX_ATTEMPTS, then 5). */
  maxAttempts(): number {
    return this.options.maxAttempts ?? envInt('AWS_MAX_ATTEMPTS') ?? 5;
  }

  private instrument(client: AnyClient, service: string): void {
    const onCall = this.options.onCall;
    if (!onCall) return;
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const started = performance.now();
        try {
          const out = await next(args);
          onCall({ service, operation, mutating: isMutatingOperation(operation), durationMs: performance.now() - started, ok: true });
          return out;
        } catch (err) {
          onCall({
            service,
            operation,
            mutating: isMutatingOperation(operation),
            durationMs: performance.now() - started,
            ok: false,
            errorName: (err as Error).name,
          });
          throw err;
        }
      },
      { step: 'initialize', name: 'ecsKitCallTrace', override: true },
    );
  }

  ec2 = () => this.get('ec2', EC2Client);
  ecs = () => this.get('ecs', ECSClient);
  ecr = () => this.get('ecr', ECRClient);
  iam = () => this.get('iam', IAMClient);
  logs = () => this.get('logs', CloudWatchLogsClient);
  /** CloudWatch alarms (the ones safe rollouts roll back on). */
  cloudwatch = () => this.get('cloudwatch', CloudWatchClient);
  elbv2 = () => this.get('elbv2', ElasticLoadBalancingV2Client);
  autoscaling = () => this.get('application-autoscaling', ApplicationAutoScalingClient);
  sts = () => this.get('sts', STSClient);
  ssm = () => this.get('ssm', SSMClient);
  secretsManager = () => this.get('secretsmanager', SecretsManagerClient);
  /** EventBridge Scheduler (scheduled jobs), SQS (queue workers), Cloud Map (Service Connect) and CloudWatch (backlog alarms). */
  scheduler = () => this.get('scheduler', SchedulerClient);
  sqs = () => this.get('sqs', SQSClient);
  serviceDiscovery = () => this.get('servicediscovery', ServiceDiscoveryClient);
  /** EC2 Auto Scaling (instance groups), not Application Auto Scaling. */
  ec2AutoScaling = () => this.get('autoscaling', AutoScalingClient);
  // Only `doctor` uses these two, so their modules load on first use (about 50 ms the other commands never pay).
  /** ACM: `doctor` describes the load balancer's certificate. */
  acm = async () => this.get('acm', (await import('@aws-sdk/client-acm')).ACMClient);
  /** Service Quotas: `doctor` reads the quotas a first deploy counts against. */
  serviceQuotas = async () => this.get('service-quotas', (await import('@aws-sdk/client-service-quotas')).ServiceQuotasClient);
  /**
   * S3, only for the shared state (loaded on first use), in the bucket's region when it differs from the deploy region.
   * With a custom endpoint (--endpoint-url, AWS_ENDPOINT_URL[_S3]) requests are path-style: such endpoints have no
   * per-bucket host names.
   */
  s3 = async (region?: string) => {
    const { S3Client } = await import('@aws-sdk/client-s3');
    const custom = Boolean(this.options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
    const Ctor = class extends S3Client {
      constructor(cfg: Record<string, unknown>) {
        super({ ...cfg, ...(region ? { region } : {}), forcePathStyle: custom });
      }
    };
    return this.get(region ? `s3@${region}` : 's3', Ctor);
  };

  /**
   * Clients that never retry on their own, for creates without an idempotency token: an SDK
   * retry after a lost response would make a second copy. src/aws/idempotent.ts retries them
   * itself, looking the resource up first.
   */
  readonly once = {
    ec2: () => this.get('ec2', EC2Client, true),
    ecs: () => this.get('ecs', ECSClient, true),
    elbv2: () => this.get('elbv2', ElasticLoadBalancingV2Client, true),
    iam: () => this.get('iam', IAMClient, true),
    logs: () => this.get('logs', CloudWatchLogsClient, true),
    ec2AutoScaling: () => this.get('autoscaling', AutoScalingClient, true),
  };

  async region(): Promise<string> {
    return this.sts().config.region();
  }

  async identity(): Promise<{ account: string; arn: string }> {
    const out = await this.sts().send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? 'unknown', arn: out.Arn ?? 'unknown' };
  }

  destroy(): void {
    for (const c of this.cache.values()) c.destroy();
    this.cache.clear();
  }
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
