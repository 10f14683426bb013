import { z } from 'zod';

/**
 * Where the manifest of an environment lives: `.ecs-kit/<env>.json` next to the config (local, the default), or one
 * object per app/env in an S3 bucket shared by a team and its CI (`s3://<bucket>/<prefix>/<app>/<env>.json`, with a lock
 * object `<env>.lock` beside it).
 */

/**
 * General purpose bucket naming rules (Amazon S3 User Guide, "General purpose bucket naming rules",
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html): 3–63 characters; lowercase letters,
 * digits, dots and hyphens; a letter or digit at each end; no two adjacent dots; not an IP address; reserved prefixes
 * and suffixes.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name))
    return 'may contain only lowercase letters, digits, dots and hyphens, and must start and end with a letter or digit';
  if (name.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((p) => name.startsWith(p));
  if (prefix) return `must not start with "${prefix}" (reserved by Amazon S3)`;
  const suffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((s) => name.endsWith(s));
  if (suffix) return `must not end with "${suffix}" (reserved by Amazon S3)`;
  return undefined;
}

/** Object key characters S3 calls safe (User Guide, "Naming Amazon S3 objects"), as path segments without empty or dot-only ones. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (prefix.length > 200) return 'must be at most 200 characters';
  if (!/^[A-Za-z0-9!_.*'()/-]+$/.test(prefix)) return "may contain only letters, digits and ! _ . * ' ( ) - /";
  if (prefix.startsWith('/') || prefix.endsWith('/')) return 'must not start or end with /';
  if (prefix.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return 'must not contain empty, "." or ".." segments';
  return undefined;
}

export const DEFAULT_STATE_PREFIX = 'ecs-kit';

const fieldCheck = (problem: (v: string) => string | undefined) => (v: string, ctx: z.RefinementCtx) => {
  const p = problem(v);
  if (p) ctx.addIssue({ code: 'custom', message: p });
};

/** The `state:` block of ecs-kit.yml. */
export const stateField = z
  .strictObject({
    backend: z
      .enum(['local', 's3'], { error: 'must be "local" or "s3"' })
      .default('local')
      .describe('local: .ecs-kit/<env>.json next to the config (default); s3: one object per app/env in a shared bucket, with a lock.'),
    bucket: z
      .string({ error: 'must be a bucket name' })
      .superRefine(fieldCheck(bucketNameProblem))
      .optional()
      .describe('The state bucket (backend: s3), e.g. the one `ecs-kit state init` made; versioning must be on.'),
    prefix: z
      .string({ error: 'must be a string' })
      .superRefine(fieldCheck(prefixProblem))
      .default(DEFAULT_STATE_PREFIX)
      .describe('Key prefix: the state object is s3://<bucket>/<prefix>/<app>/<env>.json.'),
    /** The bucket's region, when it is not the deploy region. */
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'must be an AWS region code such as us-east-1')
      .optional()
      .describe("The bucket's region, when it is not the deploy region."),
  })
  .superRefine((s, ctx) => {
    if (s.backend === 's3' && !s.bucket)
      ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'is required with backend: s3 (the bucket `ecs-kit state init` made)' });
    if (s.backend === 'local' && s.bucket)
      ctx.addIssue({ code: 'custom', path: ['backend'], message: 'is local, but a bucket is set; set backend: s3 to use it' });
  })
  .optional();

export type StateConfig = z.output<typeof stateField>;

/** An S3 state location: the bucket, and the prefix under which each app/env gets `<app>/<env>.json`. */
export interface S3StateLocation {
  backend: 's3';
  bucket: string;
  prefix: string;
  region?: string;
}

export type StateLocation = { backend: 'local' } | S3StateLocation;

/** `s3://bucket` or `s3://bucket/prefix` (the --state flag); a problem is a sentence naming what is wrong. */
export function parseStateUrl(url: string): S3StateLocation | { problem: string } {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url.trim());
  if (!m) return { problem: `"${url}" is not an S3 location; use s3://<bucket> or s3://<bucket>/<prefix>` };
  const bucket = m[1]!;
  const prefix = (m[2] ?? '').replace(/\/+$/, '');
  const bad = bucketNameProblem(bucket);
  if (bad) return { problem: `the bucket name "${bucket}" ${bad}` };
  const badPrefix = prefixProblem(prefix);
  if (badPrefix) return { problem: `the prefix "${prefix}" ${badPrefix}` };
  return { backend: 's3', bucket, prefix };
}

/** Where the state lives: the --state flag wins over the config's state: block; local when neither says otherwise. */
export function stateLocation(config: { state?: StateConfig }, flag?: string): StateLocation | { problem: string } {
  if (flag !== undefined) return flag === 'local' ? { backend: 'local' } : parseStateUrl(flag);
  const s = config.state;
  if (!s || s.backend === 'local') return { backend: 'local' };
  return { backend: 's3', bucket: s.bucket!, prefix: s.prefix, ...(s.region ? { region: s.region } : {}) };
}

/** The keys of one environment's state and lock objects. */
export function stateKeys(loc: Pick<S3StateLocation, 'prefix'>, app: string, env: string): { state: string; lock: string; dir: string } {
  const dir = `${loc.prefix ? `${loc.prefix}/` : ''}${app}/`;
  return { dir, state: `${dir}${env}.json`, lock: `${dir}${env}.lock` };
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
