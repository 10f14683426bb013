import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import type { Reporter } from '../engine/events.js';
import { EcsKitError, ExitCode, UsageError } from '../errors.js';
import { parseDuration, parsePositiveInt, processIo, type GlobalOptions, type Io } from './options.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

const EXIT_CODES_HELP = `
Exit codes:
  0    success (including "no changes")
  1    failure (AWS error, failed rollout, timeout)
  2    usage or config error; nothing was changed
  130  aborted (Ctrl-C or declined confirmation)`;

function intArg(flag: string) {
  return (v: string) => {
    try {
      return parsePositiveInt(v, flag);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

function numberArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`"${v}" is not a number.`);
  return n;
}

/**
 * The flags every command takes. They are declared on the program and on each subcommand,
 * so `ecs-kit --env prod deploy` and `ecs-kit deploy --env prod` both work; defaults are
 * applied after merging (see `globals`), or a subcommand default would hide the earlier flag.
 */
function withGlobals(cmd: Command): Command {
  return cmd
    .option('--region <region>', 'AWS region (default: region in ecs-kit.yml, then AWS_REGION / your AWS profile)')
    .option('--profile <name>', 'AWS profile from ~/.aws/config')
    .option('--endpoint-url <url>', 'send AWS API calls to this endpoint (e.g. a local emulator); AWS_ENDPOINT_URL also works')
    .option('--env <name>', 'environment name; each has its own resources and manifest (default: "default")')
    .option('--config <path>', 'config file, YAML or .json (default: ecs-kit.yml)')
    .option('-y, --yes', 'do not ask for confirmation; never prompt')
    .option('--json', 'print one JSON event per line on stdout (implies no prompts)')
    .option('--verbose', 'show every AWS call and more detail')
    .addOption(new Option('--max-attempts <n>', 'attempts per AWS call, retries included (adaptive retry)').argParser(intArg('--max-attempts')));
}

function globals<T extends object>(program: Command, cmd: Command): GlobalOptions & T {
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const merged = { ...defined(program.opts()), ...defined(cmd.opts()) } as GlobalOptions & T;
  merged.env ??= 'default';
  return merged;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function buildProgram(io: Io, run: (fn: (reporter: Reporter) => Promise<number>, opts: GlobalOptions) => Promise<void>): Command {
  const program = withGlobals(
    new Command('ecs-kit')
      .description('Take a containerized app to Amazon ECS in one command, and take it away again.')
      .version(version, '-V, --version')
      .addHelpText('after', EXIT_CODES_HELP)
      .showHelpAfterError('(run with --help for usage)'),
  );

  withGlobals(
    program
      .command('init')
      .description('ask a few questions (or take flags) and write ecs-kit.yml')
      .option('--name <app>', 'app name (lowercase letters, digits, hyphens)')
      .option('--image <uri>', 'an existing image to run, e.g. nginx:1.27')
      .option('--dockerfile <path>', 'build this Dockerfile and push it to ECR instead of --image')
      .option('--context <dir>', 'docker build context for --dockerfile', '.')
      .option('--port <n>', 'container port the load balancer sends traffic to', intArg('--port'))
      .option('--cpu <units>', 'Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384', intArg('--cpu'))
      .option('--memory <mib>', 'memory in MiB (must be valid for --cpu)', intArg('--memory'))
      .option('--count <n>', 'desired number of tasks', (v) => Number(v))
      .option('--health-check-path <path>', 'path the load balancer checks')
      .option('--min <n>', 'autoscaling minimum tasks', (v) => Number(v))
      .option('--max <n>', 'autoscaling maximum tasks', (v) => Number(v))
      .option('--target-cpu <percent>', 'autoscaling target average CPU %', numberArg)
      .option('--no-autoscaling', 'do not configure autoscaling')
      .option('-e, --env-var <KEY=VALUE>', 'environment variable for the container (repeatable)', collect, [])
      .option('--force', 'overwrite an existing config file'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<Record<string, unknown>>(program, cmd);
    await run(async (reporter) => {
      const { runInit } = await import('./commands/init.js');
      const { isInteractive } = await import('./options.js');
      return runInit({ ...(opts as object), envVars: opts.envVar as string[] } as never, {
        interactive: isInteractive(opts, io),
        cwd: io.cwd,
        stdout: io.stdout,
        stderr: io.stderr,
        reporter,
      });
    }, opts);
  });

  withGlobals(
    program
      .command('deploy')
      .description('make AWS match ecs-kit.yml: shows the plan, asks, applies it and prints the URL')
      .option('--timeout <duration>', 'how long to wait for the service rollout (e.g. 90s, 15m)', '15m')
      .option('--no-wait', 'do not wait for the rollout to finish')
      .addOption(new Option('--poll-interval <duration>', 'how often to poll while waiting').default('10s').hideHelp())
      .option('--force-unlock', 'break a lock left by a run that is no longer running'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<{ timeout: string; wait: boolean; pollInterval: string; forceUnlock?: boolean }>(program, cmd);
    await run(async (reporter) => {
      const timeoutMs = parseDuration(opts.timeout);
      const pollIntervalMs = parseDuration(opts.pollInterval, '--poll-interval');
      const { runDeploy } = await import('./commands/deploy.js');
      return runDeploy({ ...opts, timeoutMs, pollIntervalMs }, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('teardown')
      .description('delete everything ecs-kit created for this app and environment')
      .option('--force-unlock', 'break a lock left by a run that is no longer running'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<{ forceUnlock?: boolean }>(program, cmd);
    await run(async (reporter) => {
      const { runTeardown } = await import('./commands/teardown.js');
      return runTeardown(opts, io, reporter);
    }, opts);
  });

  return program;
}

/** Entry point: returns the exit code; never throws. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  // The SDK's Node-version notice would land in every user's output; README states the supported versions.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let exitCode: number = ExitCode.Ok;

  const run = async (fn: (reporter: Reporter) => Promise<number>, opts: GlobalOptions) => {
    const { makeReporter } = await import('./run-context.js');
    const reporter = makeReporter(opts, io);
    try {
      exitCode = await fn(reporter);
    } catch (err) {
      exitCode = reportError(err, reporter, Boolean(opts.verbose));
    } finally {
      reporter.close();
    }
  };

  const program = buildProgram(io, run);
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
      if (err.code === 'commander.executeSubCommandAsync') return ExitCode.Ok;
      return ExitCode.Usage;
    }
    io.stderr.write(`Unexpected error: ${(err as Error).message}\n`);
    return ExitCode.Failure;
  }
  return exitCode;
}

function reportError(err: unknown, reporter: Reporter, verbose: boolean): number {
  if (err instanceof EcsKitError) {
    reporter.emit({ type: 'error', code: err.code, message: err.message, ...(err.why ? { why: err.why } : {}), ...(err.fix ? { fix: err.fix } : {}) });
    if (verbose && err.cause instanceof Error && err.cause.stack) reporter.emit({ type: 'info', message: err.cause.stack });
    return err.exitCode;
  }
  const e = err as Error;
  reporter.emit({
    type: 'error',
    code: 'internal',
    message: `Unexpected error: ${e?.message ?? String(err)}`,
    fix: verbose ? (e?.stack ?? '') : 'Run again with --verbose for details, and please report this at the ecs-kit issue tracker.',
  });
  return ExitCode.Failure;
}

export { UsageError };
