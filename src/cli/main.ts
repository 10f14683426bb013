import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createRequire } from 'node:module';
import type { Reporter, RolloutDiagnosis } from '../engine/events.js';
import { EcsKitError, ExitCode, UsageError } from '../errors.js';
import { parseDuration, parsePositiveInt, processIo, type GlobalOptions, type Io } from './options.js';
import { regionProblem } from '../security/input.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

const EXIT_CODES_HELP = `
Exit codes:
  0    success (including "no changes")
  1    failure (AWS error, failed rollout, timeout, a failed doctor check)
  2    usage or config error; nothing was changed
  3    plan --detailed-exitcode (or deploy --dry-run --detailed-exitcode): changes are pending
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

/** A mistyped region fails here (exit 2) instead of as an endpoint error mid-deploy. */
function regionArg(v: string): string {
  const problem = regionProblem(v);
  if (problem) throw new InvalidArgumentError(`${problem}.`);
  return v;
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
    .addOption(new Option('--region <region>', 'AWS region (default: region in ecs-kit.yml, then AWS_REGION / your AWS profile)').argParser(regionArg))
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
      .option('--network <profile>', 'learning (public subnets, no NAT) or production (private subnets + NAT gateway, billed per hour and GB)')
      .option('--nat <mode>', 'production: single (one NAT gateway) or per-az (one per zone)')
      .option('--azs <n>', 'production: 2 or 3 availability zones', intArg('--azs'))
      .option('--capacity <kind>', 'fargate, fargate-spot or ec2')
      .option('--instance-type <type>', 'capacity ec2: the EC2 instance type (default t3.small)')
      .option('--vpc-id <id>', 'use this existing VPC instead of creating one (ecs-kit never changes it)')
      .option('--public-subnets <ids>', 'with --vpc-id: comma-separated subnets for the load balancer (2+ zones)')
      .option('--private-subnets <ids>', 'with --vpc-id: comma-separated subnets for the tasks')
      .option('--force', 'overwrite an existing config file'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<Record<string, unknown>>(program, cmd);
    await run(async (reporter) => {
      const { runInit } = await import('./commands/init/index.js');
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
      .addOption(new Option('--max-failed-tasks <n>', 'stop waiting once this many tasks of the new revision have stopped').default(3).argParser(intArg('--max-failed-tasks')))
      .option('--no-rollback', 'after a failed rollout, leave the service on the new revision instead of going back to the previous one')
      .addOption(new Option('--poll-interval <duration>', 'how often to poll while waiting').default('10s').hideHelp())
      .option('--force-unlock', 'break a lock left by a run that is no longer running')
      .option('--dry-run', 'print the plan and stop: the same as `ecs-kit plan`')
      .option('--detailed-exitcode', 'with --dry-run: exit 3 when there are changes, 0 when there are none'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<{ timeout: string; wait: boolean; pollInterval: string; forceUnlock?: boolean; dryRun?: boolean; detailedExitcode?: boolean; maxFailedTasks: number; rollback: boolean }>(program, cmd);
    await run(async (reporter) => {
      const timeoutMs = parseDuration(opts.timeout);
      const pollIntervalMs = parseDuration(opts.pollInterval, '--poll-interval');
      const { runDeploy } = await import('./commands/deploy/index.js');
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
      const { runTeardown } = await import('./commands/teardown/index.js');
      return runTeardown(opts, io, reporter);
    }, opts);
  });

  registerDay2Commands(program, io, run);
  registerSecurityCommands(program, io, run);

  return program;
}

/** secret set|list and iam-policy. Nested commands get their own exit override: commander copies it only at creation. */
function registerSecurityCommands(program: Command, io: Io, run: (fn: (reporter: Reporter) => Promise<number>, opts: GlobalOptions) => Promise<void>): void {
  const quiet = (c: Command) => c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  const secret = program
    .command('secret')
    .description('store secrets in SSM Parameter Store and reference them from the config (values never in argv or output)');
  quiet(secret);
  const set = withGlobals(
    secret
      .command('set <service> <name>')
      .description('read a value from a hidden prompt or stdin, store it as an SSM SecureString /ecs-kit/<app>/<env>/<name> and add the reference to the config'),
  ).action(async (service: string, name: string, _o: unknown, cmd: Command) => {
    const opts = globals<Record<string, unknown>>(program, cmd);
    await run(async (reporter) => {
      const { runSecretSet } = await import('./commands/secret/index.js');
      return runSecretSet({ ...opts, service, name }, io, reporter);
    }, opts);
  });
  quiet(set);
  const list = withGlobals(secret.command('list').description("list each service's secrets and where they live (never their values)")).action(
    async (_o: unknown, cmd: Command) => {
      const opts = globals(program, cmd);
      await run(async (reporter) => {
        const { runSecretList } = await import('./commands/secret/index.js');
        return runSecretList(opts, io, reporter);
      }, opts);
    },
  );
  quiet(list);

  withGlobals(
    program
      .command('iam-policy')
      .description('print the minimal IAM policy a person or CI role needs to run ecs-kit for this config')
      .option('--account <id>', 'AWS account id to put in the ARNs (default: the account of your credentials)'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<{ account?: string }>(program, cmd);
    await run(async (reporter) => {
      const { runIamPolicy } = await import('./commands/iam-policy/index.js');
      return runIamPolicy(opts, io, reporter);
    }, opts);
  });
}

function nonNegativeIntArg(flag: string) {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag}: "${v}" is not a whole number (0 or more).`);
    return n;
  };
}

/** plan, doctor, status, logs, run-task, scale, rollback: same global flags, reporters and exit codes as deploy. */
function registerDay2Commands(program: Command, io: Io, run: (fn: (reporter: Reporter) => Promise<number>, opts: GlobalOptions) => Promise<void>): void {
  const pollInterval = (d: string) => new Option('--poll-interval <duration>', 'how often to poll while waiting').default(d).hideHelp();

  withGlobals(
    program
      .command('plan')
      .description('show what deploy would change, per step, without changing anything')
      .option('--detailed-exitcode', 'exit 3 when there are changes, 0 when there are none'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<{ detailedExitcode?: boolean }>(program, cmd);
    await run(async (reporter) => {
      const { runPlan } = await import('./commands/plan/index.js');
      return runPlan(opts, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('doctor')
      .description('read-only preflight: credentials, region, service-linked roles, quotas, Fargate zones, certificate, secrets, image architecture'),
  ).action(async (_o: unknown, cmd: Command) => {
    const opts = globals<object>(program, cmd);
    await run(async (reporter) => {
      const { runDoctor } = await import('./commands/doctor/index.js');
      return runDoctor(opts, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('status')
      .description('desired/running/pending tasks, revisions, deployments, target health and URL of each service')
      .argument('[service]', 'one service (default: all)'),
  ).action(async (service: string | undefined, _o: unknown, cmd: Command) => {
    const opts = globals<object>(program, cmd);
    await run(async (reporter) => {
      const { runStatus } = await import('./commands/status/index.js');
      return runStatus({ ...opts, service }, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('logs')
      .description("the services' CloudWatch logs in time order, each line with its task id")
      .argument('[service]', 'one service (default: all)')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C')
      .option('--since <duration>', 'start this far back (e.g. 30s, 10m, 2h)', '10m')
      .option('--filter <text>', 'only lines containing this text (or a CloudWatch filter pattern)')
      .addOption(pollInterval('2s')),
  ).action(async (service: string | undefined, _o: unknown, cmd: Command) => {
    const opts = globals<{ follow?: boolean; since: string; filter?: string; pollInterval: string }>(program, cmd);
    await run(async (reporter) => {
      const sinceMs = parseDuration(opts.since, '--since');
      const pollIntervalMs = parseDuration(opts.pollInterval, '--poll-interval');
      const { runLogs } = await import('./commands/logs/index.js');
      return runLogs({ ...opts, service, sinceMs, pollIntervalMs }, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('run-task')
      .description("run a one-off task (e.g. a migration) from the service's task definition; exits with its exit code")
      .argument('<service>', 'the service whose task definition and network to use')
      .argument('[command...]', 'command to run instead of the image\'s (put it after --)')
      .option('--timeout <duration>', 'how long to wait for the task to stop', '30m')
      .addOption(pollInterval('2s')),
  ).action(async (service: string, command: string[], _o: unknown, cmd: Command) => {
    const opts = globals<{ timeout: string; pollInterval: string }>(program, cmd);
    await run(async (reporter) => {
      const timeoutMs = parseDuration(opts.timeout);
      const pollIntervalMs = parseDuration(opts.pollInterval, '--poll-interval');
      const { runRunTask } = await import('./commands/run-task/index.js');
      return runRunTask({ ...opts, service, command: command ?? [], timeoutMs, pollIntervalMs }, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('scale')
      .description('set the number of tasks (and the autoscaling range) of a service')
      .argument('<service>', 'the service to scale')
      .option('--count <n>', 'desired number of tasks', nonNegativeIntArg('--count'))
      .option('--min <n>', 'autoscaling minimum (services with autoscaling)', nonNegativeIntArg('--min'))
      .option('--max <n>', 'autoscaling maximum (services with autoscaling)', nonNegativeIntArg('--max'))
      .option('--timeout <duration>', 'how long to wait for the service to settle', '15m')
      .option('--no-wait', 'do not wait for the service to settle')
      .addOption(pollInterval('10s'))
      .option('--force-unlock', 'break a lock left by a run that is no longer running'),
  ).action(async (service: string, _o: unknown, cmd: Command) => {
    const opts = globals<{ count?: number; min?: number; max?: number; timeout: string; wait: boolean; pollInterval: string; forceUnlock?: boolean }>(program, cmd);
    await run(async (reporter) => {
      const timeoutMs = parseDuration(opts.timeout);
      const pollIntervalMs = parseDuration(opts.pollInterval, '--poll-interval');
      const { runScale } = await import('./commands/scale/index.js');
      return runScale({ ...opts, service, timeoutMs, pollIntervalMs }, io, reporter);
    }, opts);
  });

  withGlobals(
    program
      .command('rollback')
      .description('put a service back on the task definition revision it ran before the last deploy')
      .argument('[service]', 'the service (needed when there are several)')
      .option('--timeout <duration>', 'how long to wait for the rollout', '15m')
      .option('--no-wait', 'do not wait for the rollout to finish')
      .addOption(pollInterval('10s'))
      .option('--force-unlock', 'break a lock left by a run that is no longer running'),
  ).action(async (service: string | undefined, _o: unknown, cmd: Command) => {
    const opts = globals<{ timeout: string; wait: boolean; pollInterval: string; forceUnlock?: boolean }>(program, cmd);
    await run(async (reporter) => {
      const timeoutMs = parseDuration(opts.timeout);
      const pollIntervalMs = parseDuration(opts.pollInterval, '--poll-interval');
      const { runRollback } = await import('./commands/rollback/index.js');
      return runRollback({ ...opts, service, timeoutMs, pollIntervalMs }, io, reporter);
    }, opts);
  });
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
    // A failed rollout carries its diagnosis; JSON readers get it as its own event.
    const diagnosis = (err as { diagnosis?: RolloutDiagnosis }).diagnosis;
    if (diagnosis) reporter.emit({ type: 'diagnosis', ...diagnosis });
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
