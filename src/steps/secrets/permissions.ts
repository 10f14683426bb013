import type { PolicyContext } from '../../security/policy-context.js';
import { legacyManagedParameterName, managedParameterName, parseSecretRef, secretResourcePattern } from '../../security/refs.js';
import { unscoped, type Statement } from '../../security/statements.js';

/**
 * Reads the metadata of the secrets the config references, never a value: that they exist, and their ARNs
 * (src/security/secrets.ts). The secrets step and `doctor` both do.
 */
export function secretMetadataReads(ctx: PolicyContext): Statement[] {
  const secrets = new Set<string>();
  for (const svc of Object.values(ctx.config.services)) {
    for (const ref of Object.values(svc.secrets ?? {})) {
      const parsed = parseSecretRef(ref);
      if ('problem' in parsed || parsed.kind !== 'secretsmanager') continue;
      // A name or partial ARN lacks the random 6-character suffix AWS appends.
      secrets.add(
        parsed.id.startsWith('arn:') ? secretResourcePattern(parsed.id) : `${ctx.arn('secretsmanager', `secret:${parsed.id}`)}-??????`,
      );
    }
  }
  const describe: Statement[] = secrets.size
    ? [{ Sid: 'CheckSecretsExist', Effect: 'Allow', Action: ['secretsmanager:DescribeSecret'], Resource: [...secrets].sort() }]
    : [];
  return [unscoped(['ssm:DescribeParameters']), ...describe];
}

/**
 * The SSM parameters `secret set` writes: under /ecs-kit/<app>/<env>/, and /<app>/<env>/ where it wrote before the
 * /ecs-kit root (teardown still deletes those).
 */
export function ownParameters(ctx: PolicyContext, actions: string[]): Statement {
  const names = [managedParameterName(ctx.app, ctx.env, '*'), legacyManagedParameterName(ctx.app, ctx.env, '*')];
  return { Sid: 'OwnParameters', Effect: 'Allow', Action: actions, Resource: names.map((name) => ctx.arn('ssm', `parameter${name}`)) };
}

/** The parameters step deletes what `secret set` created, once the tags confirm it. */
export function parameterPermissions(ctx: PolicyContext): Statement[] {
  return [ownParameters(ctx, ['ssm:ListTagsForResource', 'ssm:DeleteParameter'])];
}
