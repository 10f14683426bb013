import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { explainAwsError } from '../aws/errors.js';
import type { Config } from '../config/schema.js';
import { EcsKitError, UsageError } from '../errors.js';
import { regionProblem } from '../security/input.js';
import type { GlobalOptions } from './options.js';

/**
 * Where AWS calls go (endpoint, profile, region), checked before the first call so that a typo in one of them is
 * reported as that typo, with the setting that holds it, instead of as a network or credentials problem later.
 * Reads the same environment variables the SDK reads (process.env: the SDK takes them from there, not from Io).
 */

type Env = NodeJS.ProcessEnv;

/** What is wrong with an endpoint URL, or undefined. `name` is the flag or variable that holds it. */
export function endpointProblem(url: string, name: string): { message: string; fix: string } | undefined {
  const text = url.trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '') return undefined;
  // "127.0.0.1:5000" does not parse; "localhost:5000" parses as the scheme "localhost:". Both lack http(s)://.
  const local = /^(localhost|127\.|\[?::1\]?|0\.0\.0\.0)/i.test(text);
  const suggestion = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? undefined : `${local ? 'http' : 'https'}://${text}`;
  return {
    message: `${name}: "${text}" is not an http:// or https:// URL.`,
    fix: suggestion
      ? `Write the scheme too: ${name === '--endpoint-url' ? '--endpoint-url ' : `${name}=`}${suggestion}`
      : 'Use a URL such as http://127.0.0.1:5000 (a local emulator) or https://ecs.us-east-1.amazonaws.com.',
  };
}

/** The endpoint every call goes to, and where it was set; undefined for AWS's own endpoints. */
export function endpointSetting(opts: Pick<GlobalOptions, 'endpointUrl'>, env: Env): { url: string; name: string } | undefined {
  if (opts.endpointUrl !== undefined) return { url: opts.endpointUrl, name: '--endpoint-url' };
  if (env.AWS_ENDPOINT_URL) return { url: env.AWS_ENDPOINT_URL, name: 'AWS_ENDPOINT_URL' };
  return undefined;
}

/** The profile the SDK will use, and where it was named; undefined when none is named (the SDK's default chain). */
function profileSetting(opts: Pick<GlobalOptions, 'profile'>, env: Env): { name: string; from: string } | undefined {
  if (opts.profile) return { name: opts.profile, from: '--profile' };
  if (env.AWS_PROFILE) return { name: env.AWS_PROFILE, from: 'AWS_PROFILE' };
  return undefined;
}

/**
 * The section names of an AWS shared config or credentials file. The config file writes "[profile NAME]" (and
 * "[default]"), the credentials file "[NAME]" (AWS CLI User Guide, "Configuration and credential file settings").
 */
function profilesIn(file: string, kind: 'config' | 'credentials'): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
    if (!m) continue;
    const section = m[1]!;
    if (kind === 'credentials') names.push(section);
    else if (section === 'default') names.push('default');
    else if (section.startsWith('profile ')) names.push(section.slice('profile '.length).trim());
  }
  return names;
}

/** The AWS config and credentials files the SDK reads (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, else ~/.aws). */
function sharedFiles(env: Env): { config: string; credentials: string } {
  const home = env.HOME ?? env.USERPROFILE ?? homedir();
  return {
    config: env.AWS_CONFIG_FILE ?? path.join(home, '.aws', 'config'),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE ?? path.join(home, '.aws', 'credentials'),
  };
}

/** Before any AWS client exists: the endpoint is a URL and a named profile exists. Exit 2 otherwise, no AWS call. */
export function checkAwsSettings(opts: Pick<GlobalOptions, 'endpointUrl' | 'profile'>, env: Env = process.env): void {
  const endpoint = endpointSetting(opts, env);
  if (endpoint) {
    const problem = endpointProblem(endpoint.url, endpoint.name);
    if (problem) throw new UsageError(problem.message, problem.fix, 'aws.endpoint');
  }
  const profile = profileSetting(opts, env);
  if (!profile) return;
  const files = sharedFiles(env);
  const known = [...new Set([...profilesIn(files.config, 'config'), ...profilesIn(files.credentials, 'credentials')])];
  if (known.includes(profile.name)) return;
  throw new EcsKitError('aws.profile', `${profile.from} names the AWS profile "${profile.name}", which does not exist.`, {
    why: `It is in neither ${files.config} nor ${files.credentials}${known.length ? ` (profiles there: ${known.join(', ')})` : ' (no profiles there)'}.`,
    fix:
      profile.from === 'AWS_PROFILE'
        ? `Set AWS_PROFILE to one of your profiles (\`aws configure list-profiles\`), create it with \`aws configure --profile ${profile.name}\`, or unset AWS_PROFILE to use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`
        : `Pass --profile with one of your profiles (\`aws configure list-profiles\`), or create it with \`aws configure --profile ${profile.name}\`.`,
    exitCode: 2,
  });
}

/** Where the region the clients resolved came from, in the order the SDK looks. */
function regionSource(opts: Pick<GlobalOptions, 'region' | 'profile'>, config: Pick<Config, 'region'>, env: Env): string {
  if (opts.region) return '--region';
  if (config.region) return 'region: in the config file';
  if (env.AWS_REGION) return 'AWS_REGION';
  return `the region of AWS profile "${opts.profile ?? env.AWS_PROFILE ?? 'default'}"`;
}

/** After the region resolved, before the first call: an unknown one ("useast1") is a typo, not a network problem. */
export function checkResolvedRegion(
  region: string,
  opts: Pick<GlobalOptions, 'region' | 'profile'>,
  config: Pick<Config, 'region'>,
  env: Env = process.env,
): void {
  const problem = regionProblem(region);
  if (!problem) return;
  const source = regionSource(opts, config, env);
  throw new UsageError(
    `The AWS region ${problem} (it comes from ${source}).`,
    `Fix ${source === 'AWS_REGION' ? 'AWS_REGION (e.g. export AWS_REGION=us-east-1)' : source}, or pass --region us-east-1.`,
    'aws.region-unknown',
  );
}

/** The first AWS call failed: explained, and when the endpoint could not be reached or spoken to, named with its setting. */
export function explainFirstCall(
  err: unknown,
  action: string,
  opts: Pick<GlobalOptions, 'endpointUrl'>,
  region: string,
  env: Env = process.env,
): EcsKitError {
  const explained = explainAwsError(err, action);
  if (explained.code !== 'aws.unreachable' && explained.code !== 'aws.endpoint') return explained;
  const set = endpointSetting(opts, env);
  const url = set ? `${set.url} (from ${set.name})` : `https://sts.${region}.amazonaws.com (AWS's endpoint for the region)`;
  const fix =
    explained.code === 'aws.endpoint'
      ? explained.fix
      : set
        ? `Check that the endpoint is running and that ${set.name} is right (scheme, host and port). Nothing was changed.`
        : explained.fix;
  return new EcsKitError(explained.code, `${explained.message} Endpoint: ${url}.`, {
    ...(explained.why ? { why: explained.why } : {}),
    ...(fix ? { fix } : {}),
    exitCode: explained.exitCode,
    cause: err,
  });
}
