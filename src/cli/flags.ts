import { InvalidArgumentError, Option, type Command } from 'commander';
import { regionProblem } from '../security/input.js';
import { parseDuration, parsePositiveInt, type GlobalOptions } from './options.js';

// ---------------------------------------------------------------------------------------
// Argument parsers: a bad value is a usage error (exit 2) that names the flag.

export function intArg(flag: string) {
  return (v: string) => {
    try {
      return parsePositiveInt(v, flag);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

export function nonNegativeIntArg(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
      throw new InvalidArgumentError(`${flag}: "${v}" is not a whole number (0 or more).`);
    return n;
  };
}

export function numberArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`"${v}" is not a number.`);
  return n;
}

/** A mistyped region fails here (exit 2) instead of as an endpoint error mid-deploy. */
function regionArg(v: string): string {
  const problem = regionProblem(v);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return v;
}

/** For repeatable flags (--env-var A=1 --env-var B=2). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// ---------------------------------------------------------------------------------------
// The global flags

/**
 * The flags every command takes. They are declared on the program and on each command, so
 * `ecs-kit --env prod deploy` and `ecs-kit deploy --env prod` both work; defaults are applied
 * after merging (see `globals`), or a command's default would hide the flag given before it.
 */
export function withGlobals(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--region <region>', 'AWS region (default: region in ecs-kit.yml, then AWS_REGION / your AWS profile)').argParser(
        regionArg,
      ),
    )
    .option('--profile <name>', 'AWS profile from ~/.aws/config')
    .option('--endpoint-url <url>', 'send AWS API calls to this endpoint (e.g. a local emulator); AWS_ENDPOINT_URL also works')
    .option('--env <name>', 'environment name; each has its own resources and manifest (default: "default")')
    .option('--config <path>', 'config file, YAML or .json (default: ecs-kit.yml)')
    .option('-y, --yes', 'do not ask for confirmation; never prompt')
    .option('--json', 'print one JSON event per line on stdout (implies no prompts)')
    .option('--verbose', 'show every AWS call and more detail')
    .option('--state <url>', 'where the manifest lives: s3://bucket/prefix (shared) or local (default: state: in ecs-kit.yml)')
    .addOption(
      new Option('--max-attempts <n>', 'attempts per AWS call, retries included (adaptive retry)').argParser(intArg('--max-attempts')),
    );
}

/** The global flags given before the command merged with everything given after it; --env defaults to "default". */
export function globals<T extends object>(program: Command, cmd: Command): GlobalOptions & T {
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const merged = { ...defined(program.opts()), ...defined(cmd.opts()) } as GlobalOptions & T;
  merged.env ??= 'default';
  return merged;
}

// ---------------------------------------------------------------------------------------
// Flags several commands share, worded once

export const forceUnlockFlag = () => new Option('--force-unlock', 'break a lock left by a run that is no longer running');

/** How long to wait; `what` says for what (the rollout, the task to stop…). */
export const timeoutFlag = (what: string, defaultValue: string) =>
  new Option('--timeout <duration>', `how long to wait for ${what}`).default(defaultValue);

/** Hidden: tests and the bench shorten it; people have no reason to. */
export const pollIntervalFlag = (defaultValue: string) =>
  new Option('--poll-interval <duration>', 'how often to poll while waiting').default(defaultValue).hideHelp();

export interface WaitFlags {
  timeout: string;
  pollInterval: string;
}

/** --timeout and --poll-interval in milliseconds; a bad duration is a usage error naming its flag. */
export function waitTimes(opts: WaitFlags): { timeoutMs: number; pollIntervalMs: number } {
  const timeoutMs = parseDuration(opts.timeout);
  return { timeoutMs, pollIntervalMs: pollIntervalMs(opts) };
}

export function pollIntervalMs(opts: Pick<WaitFlags, 'pollInterval'>): number {
  return parseDuration(opts.pollInterval, '--poll-interval');
}
