import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Which AWS operations a source file calls, read from its imports: the SDK commands, paginators and waiters it imports
 * statically, and the commands it loads lazily (`const { GetLogEventsCommand } = (await sdk()).logs`). Each as the IAM
 * action that authorizes it ("logs:GetLogEvents"). STS and ACM are left out, as the coverage test always did.
 */

/** SDK client package → IAM service prefix, where they differ. */
const IAM_PREFIX: Record<string, string> = {
  'application-auto-scaling': 'application-autoscaling',
  'cloudwatch-logs': 'logs',
  'elastic-load-balancing-v2': 'elasticloadbalancing',
  'secrets-manager': 'secretsmanager',
  'auto-scaling': 'autoscaling',
  'service-quotas': 'servicequotas',
};

/** S3 operations whose IAM action has another name (S3 API reference, "Actions, resources, and condition keys for Amazon S3"). */
const S3_ACTION: Record<string, string> = {
  HeadBucket: 'ListBucket',
  HeadObject: 'GetObject',
  ListObjectsV2: 'ListBucket',
  ListObjectVersions: 'ListBucketVersions',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  PutBucketEncryption: 'PutEncryptionConfiguration',
  GetBucketEncryption: 'GetEncryptionConfiguration',
  PutBucketLifecycleConfiguration: 'PutLifecycleConfiguration',
  GetBucketLifecycleConfiguration: 'GetLifecycleConfiguration',
};

/** A waiter polls one Describe/Get operation. */
const WAITER_ACTION: Record<string, string> = {
  NatGatewayAvailable: 'DescribeNatGateways',
  NatGatewayDeleted: 'DescribeNatGateways',
  VpcAvailable: 'DescribeVpcs',
  ServicesInactive: 'DescribeServices',
  ServicesStable: 'DescribeServices',
  LoadBalancersDeleted: 'DescribeLoadBalancers',
  RoleExists: 'GetRole',
  InstanceProfileExists: 'GetInstanceProfile',
  TasksStopped: 'DescribeTasks',
  TasksRunning: 'DescribeTasks',
};

/** The clients src/rollout/diagnosis.ts loads lazily, by the property it reads them from. */
const LAZY_CLIENTS: Record<string, string> = { ecs: 'ecs', logs: 'logs', elbv2: 'elasticloadbalancing' };

const NOT_CHECKED = new Set(['sts', 'acm']);

function operationOf(name: string): string | undefined {
  if (name.endsWith('Command')) return name.slice(0, -'Command'.length);
  if (name.startsWith('paginate')) return name.slice('paginate'.length);
  if (name.startsWith('waitUntil')) return WAITER_ACTION[name.slice('waitUntil'.length)] ?? `?${name}`;
  return undefined;
}

/** `import { A } from '@aws-sdk/client-x'`, or `const { A } = await import('@aws-sdk/client-x')`. */
const STATIC_OR_AWAITED_IMPORT =
  /(?:import\s*\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*await\s+import\()\s*'@aws-sdk\/client-([a-z0-9-]+)'/g;
const LAZY_SDK = /const\s*\{([^}]*)\}\s*=\s*\(await sdk\(\)\)\.(\w+)/g;

const importedNames = (list: string): string[] =>
  list.split(',').map((raw) =>
    raw
      .replace(/\btype\b/, '')
      .split(' as ')[0]!
      .trim(),
  );

export function sdkOperations(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  const used = new Set<string>();
  const add = (service: string, name: string) => {
    const op = operationOf(name);
    if (op && !NOT_CHECKED.has(service)) used.add(`${service}:${(service === 's3' && S3_ACTION[op]) || op}`);
  };
  for (const m of text.matchAll(STATIC_OR_AWAITED_IMPORT)) {
    for (const name of importedNames(m[1] ?? m[2]!)) add(IAM_PREFIX[m[3]!] ?? m[3]!, name);
  }
  for (const m of text.matchAll(LAZY_SDK)) {
    const service = LAZY_CLIENTS[m[2]!];
    if (!service) throw new Error(`${file}: add the lazily loaded client "${m[2]}" to LAZY_CLIENTS`);
    for (const name of importedNames(m[1]!)) add(service, name);
  }
  return used;
}

/** Commands a file constructs but sdkOperations() could not attribute to a client (a new way of loading the SDK). */
export function unattributedCommands(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const known = new Set(
    [...text.matchAll(STATIC_OR_AWAITED_IMPORT), ...text.matchAll(LAZY_SDK)].flatMap((m) => importedNames(m[1] ?? m[2]!)),
  );
  return [...new Set([...text.matchAll(/new (\w+Command)\(/g)].map((m) => m[1]!))].filter((name) => !known.has(name));
}

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? sourceFiles(path.join(dir, f)) : [path.join(dir, f)]))
    .filter((f) => f.endsWith('.ts'));
}

/** The relative modules a file runs (type-only imports and exports left out). */
export function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s*'(\.[^']+)'/gm)) {
    if (m[1]) continue;
    const target = path.resolve(path.dirname(file), m[2]!.replace(/\.js$/, '.ts'));
    if (existsSync(target)) out.push(target);
  }
  return out;
}
