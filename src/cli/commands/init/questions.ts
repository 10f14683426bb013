import { existsSync } from 'node:fs';
import path from 'node:path';
import { FARGATE_CPUS, FARGATE_SIZES, fargateMemoriesFor } from '../../../config/fargate.js';
import { appName, configSchema, defaults } from '../../../config/schema.js';
import type { WarningCode } from '../../../engine/messages.js';
import { UsageError } from '../../../errors.js';
import { regionProblem } from '../../../security/input.js';
import type { Choice, Prompter } from '../../prompts.js';
import type { Answers, Source } from './answers.js';
import { envVarProblem, num, parseEnvVar, zodCheck, type InitOptions } from './flags.js';
import { askShape } from './shape.js';

/** Where init asks its questions, and what it may say while asking. */
export interface AskContext {
  /** Undefined when nobody is asked (--yes, no terminal, CI): each answer is its flag or its default. */
  p: Prompter | undefined;
  cwd: string;
  /** The config file's directory; build paths are written relative to it. */
  configDir: string;
  /** Shown once the file is written. */
  warnings: { code: WarningCode; message: string }[];
  /** Said at once: it explains the question that follows. */
  say: (code: WarningCode, message: string) => void;
}

/** Every answer: from its flag when given, else asked (when someone can be asked), else the default. Flags are checked first. */
export async function gather(opts: InitOptions, c: AskContext): Promise<Answers> {
  const { p } = c;
  const flags = numberFlags(opts);
  const appDefault = defaultAppName(c.cwd);
  const app =
    opts.name ??
    (p ? await p.input({ message: 'App name', default: appDefault, validate: (v) => zodCheck(appName, v.trim()) }) : appDefault).trim();
  const region = opts.region ?? (await askRegion(opts, p));
  const source = await askSource(opts, c);
  const port =
    flags.port ??
    (p
      ? await p.number({ message: 'Container port (the port your app listens on)', default: defaults.port, min: 1, max: 65535 })
      : defaults.port);
  const { cpu, memory } = await askSize(flags, p);
  const desiredCount =
    flags.count ??
    (p ? await p.number({ message: 'How many tasks to run', default: defaults.desiredCount, min: 0, max: 1000 }) : defaults.desiredCount);
  const healthCheckPath =
    opts.healthCheckPath ??
    (p
      ? (
          await p.input({
            message: 'Health-check path',
            default: defaults.healthCheckPath,
            validate: (v) => (/^\/\S*$/.test(v.trim()) ? true : 'must start with / and contain no spaces'),
          })
        ).trim()
      : defaults.healthCheckPath);
  const autoscaling = await askAutoscaling(opts, flags, desiredCount, p);
  const environment = flags.env.length > 0 || !p ? Object.fromEntries(flags.env) : await askEnvironment(p);
  const shape = await askShape(opts, p, { region, say: c.say });
  return {
    app,
    region,
    source,
    port,
    cpu,
    memory,
    desiredCount,
    healthCheckPath,
    environment,
    ...(autoscaling ? { autoscaling } : {}),
    ...shape,
  };
}

interface NumberFlags {
  port?: number;
  cpu?: number;
  memory?: number;
  count?: number;
  min?: number;
  max?: number;
  targetCpu?: number;
  env: [string, string][];
}

/** The flags that must be numbers or KEY=VALUE pairs, parsed before any question is asked. */
function numberFlags(opts: InitOptions): NumberFlags {
  const flags: NumberFlags = {
    port: num(opts.port, '--port'),
    cpu: num(opts.cpu, '--cpu'),
    memory: num(opts.memory, '--memory'),
    count: num(opts.count, '--count'),
    min: num(opts.min, '--min'),
    max: num(opts.max, '--max'),
    targetCpu: num(opts.targetCpu, '--target-cpu'),
    env: (opts.envVars ?? []).map((kv) => parseEnvVar(kv)),
  };
  if (opts.image && opts.dockerfile) {
    throw new UsageError(
      '--image and --dockerfile were both given.',
      'Pass --image to run an existing image, or --dockerfile to build one, not both.',
    );
  }
  return flags;
}

async function askRegion(opts: InitOptions, p: Prompter | undefined): Promise<string> {
  const fallback = await defaultRegion(opts.profile);
  // Checked as it is typed (the flag is checked by its parser): an unknown region must not cost every later answer.
  const validate = (v: string) => regionProblem(v.trim()) ?? zodCheck(configSchema.shape.region, v.trim());
  return p ? (await p.input({ message: 'AWS region', default: fallback, validate })).trim() : fallback;
}

/** --cpu alone takes its smallest memory, --memory alone the smallest CPU it fits; otherwise one pick among the valid pairs. */
async function askSize(flags: NumberFlags, p: Prompter | undefined): Promise<{ cpu: number; memory: number }> {
  if (flags.cpu !== undefined || flags.memory !== undefined) {
    const cpu = flags.cpu ?? FARGATE_CPUS.find((c) => fargateMemoriesFor(c).includes(flags.memory!)) ?? defaults.cpu;
    return { cpu, memory: flags.memory ?? fargateMemoriesFor(cpu)[0] ?? defaults.memory };
  }
  if (!p) return { cpu: defaults.cpu, memory: defaults.memory };
  const pick = await p.select({
    message: 'Task size (CPU / memory)',
    choices: sizeChoices(),
    default: `${defaults.cpu}/${defaults.memory}`,
  });
  const [cpu, memory] = pick.split('/').map(Number) as [number, number];
  return { cpu, memory };
}

async function askAutoscaling(
  opts: InitOptions,
  flags: NumberFlags,
  desiredCount: number,
  p: Prompter | undefined,
): Promise<Answers['autoscaling']> {
  const scalingFlags = flags.min !== undefined || flags.max !== undefined || flags.targetCpu !== undefined;
  const wanted =
    opts.autoscaling !== false &&
    (scalingFlags || !p || (await p.confirm({ message: 'Scale the number of tasks automatically with CPU load?', default: true })));
  if (!wanted) return undefined;
  // Defaults stretch to include the desired count, so `--count 6 --yes` is still valid.
  const minDefault = Math.min(defaults.autoscaling.min, desiredCount);
  const min =
    flags.min ??
    (p
      ? await p.number({
          message: 'Minimum tasks',
          default: minDefault,
          min: 0,
          max: 1000,
          validate: (v) => (v <= desiredCount ? true : `must be at most the desired count (${desiredCount})`),
        })
      : minDefault);
  const maxDefault = Math.max(defaults.autoscaling.max, desiredCount, min);
  const max =
    flags.max ??
    (p
      ? await p.number({
          message: 'Maximum tasks',
          default: maxDefault,
          min: 1,
          max: 1000,
          validate: (v) =>
            v >= Math.max(min, desiredCount) ? true : `must be at least ${Math.max(min, desiredCount)} (the minimum and the desired count)`,
        })
      : maxDefault);
  const targetCpu =
    flags.targetCpu ??
    (p
      ? await p.number({ message: 'Target average CPU %', default: defaults.autoscaling.targetCpu, min: 10, max: 90 })
      : defaults.autoscaling.targetCpu);
  return { min, max, targetCpu };
}

/** KEY=VALUE lines until an empty one. */
async function askEnvironment(p: Prompter): Promise<Record<string, string>> {
  const environment: Record<string, string> = {};
  for (;;) {
    const line = (
      await p.input({
        message: 'Environment variable (KEY=VALUE, empty to finish)',
        default: '',
        validate: (v) => (v.trim() === '' ? true : (envVarProblem(v.trim()) ?? true)),
      })
    ).trim();
    if (line === '') return environment;
    const [k, v] = parseEnvVar(line);
    environment[k] = v;
  }
}

/** An image to run, or a Dockerfile to build (./Dockerfile when nothing was said and there is one). */
async function askSource(opts: InitOptions, c: AskContext): Promise<Source> {
  const { p, cwd, configDir, warnings } = c;
  const context = opts.context ?? '.';
  const build = (dockerfile: string): Source => {
    if (!existsSync(path.resolve(cwd, dockerfile))) {
      warnings.push({ code: 'init.no-dockerfile', message: `There is no ${dockerfile} yet; deploy needs it to build the image.` });
    }
    // The context is relative to the config file, the Dockerfile to the context (as deploy reads them).
    const contextDir = path.resolve(cwd, context);
    return { build: { context: relativeTo(configDir, cwd, context), dockerfile: relativeTo(contextDir, cwd, dockerfile) } };
  };
  if (opts.image) return { image: opts.image.trim() };
  if (opts.dockerfile) return build(opts.dockerfile);

  const hasDockerfile = existsSync(path.join(cwd, 'Dockerfile'));
  if (!p) {
    if (hasDockerfile) return build('Dockerfile');
    throw new UsageError(
      'init needs to know which container to run, and there is no ./Dockerfile here.',
      'Pass --image nginx:1.27 to run an existing image, or --dockerfile ./Dockerfile to build one.',
      'init.source',
    );
  }
  const kind = await p.select<'image' | 'build'>({
    message: 'What should run?',
    choices: [
      { name: 'An existing image', value: 'image', description: 'e.g. nginx:1.27 or an image in your registry' },
      { name: 'Build from a Dockerfile', value: 'build', description: 'built locally and pushed to a private ECR repository' },
    ],
    default: hasDockerfile ? 'build' : 'image',
  });
  if (kind === 'image') {
    const image = await p.input({
      message: 'Image URI',
      validate: (v) => (/^\S+$/.test(v.trim()) ? true : 'enter an image such as nginx:1.27'),
    });
    return { image: image.trim() };
  }
  const dockerfile = await p.input({
    message: 'Dockerfile path',
    default: './Dockerfile',
    validate: (v) => (v.trim() === '' ? 'enter the path of a Dockerfile' : true),
  });
  return build(dockerfile.trim());
}

export function sizeChoices(): Choice<string>[] {
  const out: Choice<string>[] = [];
  for (const cpu of FARGATE_CPUS) {
    for (const memory of FARGATE_SIZES[cpu] ?? []) out.push({ name: sizeLabel(cpu, memory), value: `${cpu}/${memory}` });
  }
  return out;
}

export function sizeLabel(cpu: number, memory: number): string {
  return `${cpu / 1024} vCPU / ${memory} MiB`;
}

/** The cwd's folder name made into a valid app name ("My App_2" → "my-app-2"). */
export function defaultAppName(cwd: string): string {
  const name = path
    .basename(cwd)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return appName.safeParse(name).success ? name : 'my-app';
}

/** --region, then AWS_REGION / AWS_DEFAULT_REGION, then the profile's region, then us-east-1. */
async function defaultRegion(profile?: string): Promise<string> {
  const fromEnv = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (fromEnv) return fromEnv;
  try {
    // Loaded only here: reading the profile is the one thing init needs the SDK for.
    const { STSClient } = await import('@aws-sdk/client-sts');
    const client = new STSClient(profile ? { profile } : {});
    try {
      const region = await client.config.region();
      if (region) return region;
    } finally {
      client.destroy();
    }
  } catch {
    // No profile or no region in it: fall through to the default.
  }
  return 'us-east-1';
}

function relativeTo(configDir: string, cwd: string, p: string): string {
  const rel = path.relative(configDir, path.resolve(cwd, p)).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}
