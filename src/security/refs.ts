import { SECRET_REF_HELP } from './schema.js';

/**
 * A reference to where a secret lives, parsed from the config. Values are never read:
 * ECS fetches them when a task starts, with the execution role.
 */
export type SecretRef =
  | { kind: 'ssm'; name: string; arn?: ArnParts }
  | { kind: 'secretsmanager'; id: string; jsonKey?: string; versionStage?: string; versionId?: string; arn?: ArnParts };

export interface ArnParts {
  partition: string;
  region: string;
  account: string;
}

const SSM_NAME_RE = /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const SM_NAME_RE = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN_RE = /^arn:(aws[a-z-]*):(ssm|secretsmanager):([a-z0-9-]+):(\d{12}):(.+)$/;
/** Secrets Manager JSON keys: anything but ':'; version stages: the usual label charset. */
const JSON_KEY_RE = /^[^:\s]{1,256}$/;

function ssmNameProblem(name: string): string | undefined {
  if (!SSM_NAME_RE.test(name)) return `"${name}" is not a valid SSM parameter name (letters, digits, _ . - and / between path levels)`;
  if (name.split('/').some((seg) => seg === '..' || seg === '.'))
    return `"${name}" contains a relative path segment (. or ..); write the full parameter name`;
  if (name.length > 1011) return 'the SSM parameter name is longer than 1011 characters';
  if (/^\/?(aws|ssm)/i.test(name)) return `"${name}" starts with aws or ssm, which SSM reserves for its own parameters`;
  if (name.split('/').length - 1 > 15) return 'SSM parameter hierarchies can be at most 15 levels deep';
  return undefined;
}

/** Parse one reference; returns a problem string (naming the fix) on bad input. */
export function parseSecretRef(text: string): SecretRef | { problem: string } {
  const t = text.trim();
  if (t === '') return { problem: `is empty; ${SECRET_REF_HELP}` };
  if (t.startsWith('ssm:')) {
    const name = t.slice(4);
    const problem = ssmNameProblem(name);
    return problem ? { problem } : { kind: 'ssm', name };
  }
  if (t.startsWith('secretsmanager:')) {
    const [id = '', jsonKey, ...rest] = t.slice('secretsmanager:'.length).split(':');
    if (rest.length > 0)
      return {
        problem: `"${t}" has too many ":" parts; write secretsmanager:NAME or secretsmanager:NAME:JSON_KEY, or use the full ARN to pin a version`,
      };
    if (!SM_NAME_RE.test(id)) return { problem: `"${id}" is not a valid Secrets Manager secret name (letters, digits and /_+=.@-)` };
    if (id.split('/').some((seg) => seg === '..')) return { problem: `"${id}" contains "..", which is not part of any secret name` };
    if (jsonKey !== undefined && !JSON_KEY_RE.test(jsonKey))
      return { problem: `the JSON key after "${id}:" is empty or has spaces; write secretsmanager:${id}:KEY` };
    return { kind: 'secretsmanager', id, ...(jsonKey !== undefined ? { jsonKey } : {}) };
  }
  const m = ARN_RE.exec(t);
  if (m) {
    const [, partition, service, region, account, resource] = m as unknown as [string, string, string, string, string, string];
    const arn: ArnParts = { partition, region, account };
    if (service === 'ssm') {
      if (!resource.startsWith('parameter/')) return { problem: `"${t}" is not an SSM parameter ARN (…:parameter/NAME)` };
      const rest = resource.slice('parameter/'.length);
      // AWS writes /a/b as parameter/a/b and a top-level name x as parameter/x.
      const name = rest.includes('/') ? `/${rest}` : rest;
      const problem = ssmNameProblem(name);
      return problem ? { problem } : { kind: 'ssm', name, arn };
    }
    if (!resource.startsWith('secret:')) return { problem: `"${t}" is not a Secrets Manager secret ARN (…:secret:NAME)` };
    const [name = '', jsonKey, versionStage, versionId, ...extra] = resource.slice('secret:'.length).split(':');
    if (extra.length > 0 || !SM_NAME_RE.test(name))
      return {
        problem: `"${t}" is not a valid Secrets Manager ARN; the form is arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:JSON_KEY[:STAGE[:VERSION_ID]]]`,
      };
    const opt = (k: string, v: string | undefined) => (v ? { [k]: v } : {});
    return {
      kind: 'secretsmanager',
      id: `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}`,
      arn,
      ...opt('jsonKey', jsonKey),
      ...opt('versionStage', versionStage),
      ...opt('versionId', versionId),
    };
  }
  if (t.startsWith('arn:')) return { problem: `"${t}" is not an SSM parameter or Secrets Manager secret ARN; ${SECRET_REF_HELP}` };
  return { problem: `"${t}" does not say where the secret lives; ${SECRET_REF_HELP}` };
}

/** What a reference resolves to at deploy time: the task definition's valueFrom and the ARN the execution role may read. */
export interface ResolvedSecret {
  valueFrom: string;
  store: 'ssm' | 'secretsmanager';
  /** The resource ARN for the execution role's policy (no JSON key / version suffix). */
  resourceArn: string;
}

export interface ResolveTarget {
  partition: string;
  region: string;
  account: string;
}

export function ssmParameterArn(t: ResolveTarget, name: string): string {
  return `arn:${t.partition}:ssm:${t.region}:${t.account}:parameter/${name.replace(/^\//, '')}`;
}

/** ECS's JSON-key syntax: <secret-arn>:<json-key>:<version-stage>:<version-id>. */
export function secretsManagerValueFrom(secretArn: string, ref: Extract<SecretRef, { kind: 'secretsmanager' }>): string {
  if (!ref.jsonKey && !ref.versionStage && !ref.versionId) return secretArn;
  return `${secretArn}:${ref.jsonKey ?? ''}:${ref.versionStage ?? ''}:${ref.versionId ?? ''}`;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Record<string, unknown>[];
}

/**
 * The execution role's inline policy: read exactly the referenced secrets, nothing wider.
 * Undefined when no service has secrets (then the role has no inline policy at all).
 */
export function executionSecretsPolicy(resolved: readonly ResolvedSecret[], kmsKeyArns: readonly string[]): PolicyDocument | undefined {
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  const ssm = uniq(resolved.filter((r) => r.store === 'ssm').map((r) => r.resourceArn));
  const sm = uniq(resolved.filter((r) => r.store === 'secretsmanager').map((r) => r.resourceArn));
  const kms = uniq([...kmsKeyArns]);
  const statements: Record<string, unknown>[] = [];
  if (ssm.length) statements.push({ Sid: 'ReadSsmParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ssm });
  if (sm.length) statements.push({ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: sm });
  if (kms.length && (ssm.length || sm.length))
    statements.push({ Sid: 'DecryptSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: kms });
  return statements.length ? { Version: '2012-10-17', Statement: statements } : undefined;
}

/** The task role's inline policy: the config's statements verbatim; none means no permissions. */
export function taskRolePolicy(statements: readonly Record<string, unknown>[] | undefined): PolicyDocument | undefined {
  if (!statements || statements.length === 0) return undefined;
  return { Version: '2012-10-17', Statement: statements.map((s) => ({ ...s })) };
}

/**
 * SSM parameter name ecs-kit uses for `secret set`: under a fixed /ecs-kit root, because "A parameter
 * name can't be prefixed with "aws" or "ssm"" (SSM PutParameter Name), which /<app>/… would be for
 * apps named aws… or ssm…; the root also keeps ecs-kit's parameters apart from the user's own.
 */
export function managedParameterName(app: string, env: string, variable: string): string {
  return `/ecs-kit/${app}/${env}/${variable}`;
}

/** Where `secret set` stored parameters before the /ecs-kit root; references to them keep working. */
export function legacyManagedParameterName(app: string, env: string, variable: string): string {
  return `/${app}/${env}/${variable}`;
}

/** True when a config reference points at a parameter `secret set` writes (either layout). */
export function isManagedReference(reference: string, app: string, env: string, variable: string): boolean {
  return (
    reference === `ssm:${managedParameterName(app, env, variable)}` || reference === `ssm:${legacyManagedParameterName(app, env, variable)}`
  );
}

/**
 * The policy Resource for a Secrets Manager ARN. A partial ARN (no "-" + 6 random characters) names
 * no real secret, so it gets "-??????" (AWS: a name that itself ends in "-" + 6 characters is taken
 * for a complete ARN, and is recommended against; see GetSecretValue SecretId,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
 */
export function secretResourcePattern(secretArn: string): string {
  return /-[A-Za-z0-9]{6}$/.test(secretArn) ? secretArn : `${secretArn}-??????`;
}
