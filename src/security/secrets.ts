import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { paginateDescribeParameters } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../aws/clients.js';
import { isAwsError } from '../aws/errors.js';
import type { StepContext } from '../engine/types.js';
import { EcsKitError, ExitCode } from '../errors.js';
import {
  secretResourcePattern,
  secretsManagerValueFrom,
  ssmParameterArn,
  type ResolveTarget,
  type ResolvedSecret,
  type SecretRef,
} from './refs.js';

/** Several missing secrets (of one service or several) as one error: every one named, with the command that creates each. */
export function allMissing(errors: readonly EcsKitError[]): EcsKitError {
  if (errors.length === 1) return errors[0]!;
  const fixes = [...new Set(errors.map((e) => e.fix).filter((f): f is string => Boolean(f)))];
  return new EcsKitError(
    'secret.missing',
    `${errors.length} referenced secrets do not exist in this account and region:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`,
    {
      why: errors[0]!.why,
      fix: fixes.map((f) => `- ${f}`).join('\n'),
      exitCode: ExitCode.Usage,
    },
  );
}

function missing(service: string, variable: string, what: string, fix: string): EcsKitError {
  return new EcsKitError('secret.missing', `services.${service}.secrets.${variable}: ${what} does not exist in this account and region.`, {
    why: 'ECS could not start tasks whose secrets are missing, so ecs-kit checks every reference before changing anything. Nothing was changed.',
    fix,
    exitCode: ExitCode.Usage,
  });
}

/**
 * DescribeParameters answers "on a best-effort basis": a page may hold fewer than MaxResults items, even
 * none, plus a NextToken (SSM API reference, DescribeParameters). So page on until found or exhausted.
 */
async function ssmParameterExists(aws: AwsClients, name: string): Promise<boolean> {
  const wanted = new Set([name, `/${name.replace(/^\//, '')}`]);
  const filter = { ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] };
  const pages = paginateDescribeParameters({ client: aws.ssm(), pageSize: 50 }, filter);
  for await (const page of pages) {
    if ((page.Parameters ?? []).some((p) => p.Name !== undefined && wanted.has(p.Name))) return true;
  }
  return false;
}

/**
 * Check that a referenced secret exists (metadata only: DescribeParameters / DescribeSecret,
 * never GetParameter / GetSecretValue) and work out its ARN. Returns undefined plus a warning
 * when it lives in another account or region this session cannot look into.
 */
export async function resolveSecret(
  aws: AwsClients,
  target: ResolveTarget,
  service: string,
  variable: string,
  ref: SecretRef,
  warn: StepContext['warn'],
): Promise<ResolvedSecret> {
  const foreign = ref.arn && (ref.arn.region !== target.region || ref.arn.account !== target.account);
  if (ref.kind === 'ssm') {
    const where = ref.arn ?? target;
    const arn = ssmParameterArn(
      { partition: ref.arn?.partition ?? target.partition, region: where.region, account: where.account },
      ref.name,
    );
    if (foreign) {
      warn(
        'secret.unchecked',
        `services.${service}.secrets.${variable}: ${arn} is in another account or region; ecs-kit cannot check that it exists.`,
      );
      return { valueFrom: arn, store: 'ssm', resourceArn: arn };
    }
    if (!(await ssmParameterExists(aws, ref.name))) {
      throw missing(
        service,
        variable,
        `the SSM parameter ${ref.name}`,
        `Create it (e.g. \`ecs-kit secret set ${service} ${variable}\`, or aws ssm put-parameter --type SecureString --name ${ref.name}), or fix the reference.`,
      );
    }
    return { valueFrom: arn, store: 'ssm', resourceArn: arn };
  }
  if (foreign) {
    warn(
      'secret.unchecked',
      `services.${service}.secrets.${variable}: ${ref.id} is in another account or region; ecs-kit cannot check that it exists.`,
    );
    // ECS reads the secret by the ARN as written (GetSecretValue accepts a partial ARN); IAM matches the full one.
    return { valueFrom: secretsManagerValueFrom(ref.id, ref), store: 'secretsmanager', resourceArn: secretResourcePattern(ref.id) };
  }
  let secretArn: string | undefined;
  try {
    const out = await aws.secretsManager().send(new DescribeSecretCommand({ SecretId: ref.id }));
    if (out.DeletedDate)
      throw missing(
        service,
        variable,
        `the Secrets Manager secret ${ref.id} is scheduled for deletion, so it`,
        'Restore it (aws secretsmanager restore-secret) or point the reference at another secret.',
      );
    secretArn = out.ARN;
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) {
      throw missing(
        service,
        variable,
        `the Secrets Manager secret ${ref.id}`,
        'Create it (aws secretsmanager create-secret), or fix the reference.',
      );
    }
    throw err;
  }
  const arn = secretArn ?? ref.id;
  return { valueFrom: secretsManagerValueFrom(arn, ref), store: 'secretsmanager', resourceArn: arn };
}
