import type { z } from 'zod';
import { ENV_VAR_NAME_PROBLEM, isEnvVarName } from '../../../config/env-vars.js';
import { parseConfigText } from '../../../config/load.js';
import type { Config } from '../../../config/schema.js';
import { ConfigError, EcsKitError, ExitCode, UsageError } from '../../../errors.js';

/** init's flags (spec.ts declares them for commander); each one answers a question, so it is not asked. */
export interface InitOptions {
  name?: string;
  region?: string;
  /** AWS profile whose region is the default when no region is set anywhere else. */
  profile?: string;
  image?: string;
  dockerfile?: string;
  context?: string;
  port?: number | string;
  cpu?: number | string;
  memory?: number | string;
  count?: number | string;
  healthCheckPath?: string;
  min?: number | string;
  max?: number | string;
  targetCpu?: number | string;
  /** false (--no-autoscaling) turns it off; otherwise it is on (and asked about when interactive). */
  autoscaling?: boolean;
  /** KEY=VALUE strings (--env-var, repeatable). */
  envVars?: string[];
  /** --network learning|production */
  network?: string;
  /** --nat single|per-az (production only) */
  nat?: string;
  /** --azs 2|3 (production only) */
  azs?: number | string;
  /** --capacity fargate|fargate-spot|ec2 */
  capacity?: string;
  /** --instance-type (capacity ec2 only) */
  instanceType?: string;
  /** --vpc-id: use this existing VPC instead of creating one. */
  vpcId?: string;
  /** --public-subnets a,b (with --vpc-id) */
  publicSubnets?: string;
  /** --private-subnets c,d (with --vpc-id) */
  privateSubnets?: string;
  /** Global --endpoint-url / --max-attempts: used only to list VPCs when the person picks an existing one. */
  endpointUrl?: string;
  maxAttempts?: number;
  force?: boolean;
  /** --ci github: also write .github/workflows/deploy.yml. */
  ci?: string;
  /** The environment the workflow deploys (global --env). */
  env?: string;
  yes?: boolean;
  /** Where to write; a .json path writes JSON instead of YAML. */
  config?: string;
}

/** A numeric flag (commander gives numbers, tests and callers may give strings); not a number is exit 2 with an example. */
export function num(v: number | string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: "${v}" is not a number.`, `Pass a number, e.g. ${flag} ${exampleFor(flag)}.`);
  return n;
}

function exampleFor(flag: string): string {
  return (
    { '--port': '8080', '--cpu': '256', '--memory': '512', '--count': '2', '--min': '1', '--max': '4', '--target-cpu': '60' }[flag] ?? '1'
  );
}

/** A flag that must be one of a few words. */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  const v = value.trim() as T;
  if (!allowed.includes(v)) throw new UsageError(`${flag} ${value} is not valid.`, `Use ${flag} ${allowed.join(' or ')}.`);
  return v;
}

/** What is wrong with a KEY=VALUE pair (naming only the key), or undefined. */
export function envVarProblem(kv: string): string | undefined {
  const eq = kv.indexOf('=');
  if (eq <= 0) return 'write it as KEY=VALUE';
  const key = kv.slice(0, eq);
  if (!isEnvVarName(key)) return ENV_VAR_NAME_PROBLEM.replace(/^is /, '');
  if (key.startsWith('AWS_') || key.startsWith('ECS_')) return 'names starting with AWS_ or ECS_ are reserved';
  return undefined;
}

export function parseEnvVar(kv: string): [string, string] {
  const problem = envVarProblem(kv);
  // The value is never echoed back: it may be a secret.
  if (problem)
    throw new UsageError(`--env-var "${kv.split('=')[0]}": ${problem}.`, 'Pass --env-var KEY=VALUE, e.g. --env-var LOG_LEVEL=info.');
  const eq = kv.indexOf('=');
  return [kv.slice(0, eq), kv.slice(eq + 1)];
}

/** A prompt validator from the config schema's own rule for that field. */
export function zodCheck(schema: z.ZodType, v: string): true | string {
  const r = schema.safeParse(v);
  return r.success ? true : (r.error.issues[0]?.message ?? 'not valid');
}

/** "a, b c" → ['a', 'b', 'c']; undefined stays undefined. Shapes are checked when the config is validated. */
export function idList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Prompt validation for a typed list of ids: each shaped like `example`, at least `min` of them. */
export function idListProblem(v: string, re: RegExp, example: string, min: number): true | string {
  const ids = idList(v) ?? [];
  const bad = ids.find((id) => !re.test(id));
  if (bad) return `${bad} is not an id such as ${example}`;
  if (ids.length < min) return `list at least ${min}, separated by commas`;
  return true;
}

/** The flag that sets each config field, so a validation error can say which flag to change. */
const FLAG_FOR_FIELD: [RegExp, string][] = [
  [/^app$/, '--name'],
  [/^region$/, '--region'],
  [/^services\.[^.]+\.image$/, '--image'],
  [/^services\.[^.]+\.build\.dockerfile$/, '--dockerfile'],
  [/^services\.[^.]+\.build\.context$/, '--context'],
  [/^services\.[^.]+\.port$/, '--port'],
  [/^services\.[^.]+\.cpu$/, '--cpu'],
  [/^services\.[^.]+\.memory$/, '--memory'],
  [/^services\.[^.]+\.desiredCount$/, '--count'],
  [/^services\.[^.]+\.healthCheckPath$/, '--health-check-path'],
  [/^services\.[^.]+\.autoscaling\.min$/, '--min'],
  [/^services\.[^.]+\.autoscaling\.max$/, '--max'],
  [/^services\.[^.]+\.autoscaling\.targetCpu$/, '--target-cpu'],
  [/^services\.[^.]+\.environment(\..*)?$/, '--env-var'],
  [/^network\.vpcId$/, '--vpc-id'],
  [/^network\.publicSubnetIds(\..*)?$/, '--public-subnets'],
  [/^network\.privateSubnetIds(\..*)?$/, '--private-subnets'],
  [/^ec2\.instanceType$/, '--instance-type'],
];

/** Parse what we are about to write with the same loader deploy uses: init never writes a file deploy would reject. */
export function validateForDeploy(text: string, file: string): Config {
  try {
    return parseConfigText(text, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.problems.map((problem) => {
      const at = problem.indexOf(':');
      const field = at > 0 ? problem.slice(0, at) : '';
      const flag = FLAG_FOR_FIELD.find(([re]) => re.test(field))?.[1];
      return flag ? `${field} (${flag})${problem.slice(at)}` : problem;
    });
    throw new EcsKitError(
      'init.invalid',
      `Some values are not valid, so nothing was written:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        fix: 'Change the values named above (the flag in parentheses sets each one) and run init again.',
        exitCode: ExitCode.Usage,
      },
    );
  }
}
