import { Command, CommanderError, type Argument } from 'commander';
import type { Reporter, RolloutDiagnosis } from '../engine/events.js';
import { EcsKitError, ExitCode, errorInfo } from '../errors.js';
import type { CommandSpec } from './command-spec.js';
import { COMMANDS } from './commands/index.js';
import { globals, withGlobals } from './flags.js';
import { examplesHelp, wrap } from './help.js';
import { processIo, type GlobalOptions, type Io } from './options.js';
import { VERSION } from '../version.js';

const version = VERSION;

/** The exit codes (README "Exit codes"), for the end of `ecs-kit --help`. */
const EXIT_CODES: readonly (readonly [code: number, meaning: string])[] = [
  [0, 'success (including "no changes")'],
  [1, 'failure (AWS error, failed rollout, timeout, a failed doctor check)'],
  [2, 'usage or config error; nothing was changed'],
  [3, 'plan --detailed-exitcode (or deploy --dry-run --detailed-exitcode): changes are pending'],
  [130, 'aborted (Ctrl-C or declined confirmation)'],
];

function exitCodesHelp(width: number): string {
  const lines = ['', 'Exit codes:'];
  for (const [code, meaning] of EXIT_CODES) {
    const [first = '', ...rest] = wrap(meaning, width, '       ');
    lines.push(`  ${String(code).padEnd(5)}${first.trimStart()}`, ...rest);
  }
  return lines.join('\n');
}

type Runner = (fn: (reporter: Reporter) => Promise<number>, opts: GlobalOptions) => Promise<void>;

/**
 * The program with every command of the table; `run` gives each handler its reporter and records its exit code.
 * `ecs-kit completion` reads the same program (without running it), so completion never drifts from --help.
 */
export function buildProgram(io: Io, run: Runner = async () => {}): Command {
  const program = new Command('ecs-kit')
    .description('Take a containerized app to Amazon ECS in one command, and take it away again.')
    .version(version, '-V, --version')
    .addHelpText('after', () => `${examplesHelp('', helpWidth(io))}\n${exitCodesHelp(helpWidth(io))}`)
    .showHelpAfterError('(run with --help for usage)');
  // Set before any command is added: commander copies these to each command as it is created. Help wraps to the
  // width of the terminal it is written to (commander's default looks at process.stdout, not at io).
  program.exitOverride().configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
    getOutHelpWidth: () => helpWidth(io),
    getErrHelpWidth: () => helpWidth(io, 'stderr'),
  });
  // The command list names each command with its arguments but not "[options]", so the descriptions get enough of
  // an 80-column line to be wrapped instead of running past it.
  program.configureHelp({
    // commander leaves descriptions unwrapped when fewer than 40 columns are left for them; narrow terminals need it most.
    minWidthToWrap: 20,
    subcommandTerm: (cmd) =>
      [cmd.name(), ...(cmd.commands.length ? ['<command>'] : []), ...cmd.registeredArguments.map(argumentTerm)].join(' '),
  });
  withGlobals(program);
  for (const spec of COMMANDS) {
    if ('subcommands' in spec) {
      const group = program.command(spec.name).description(spec.description);
      group.addHelpText('after', () => examplesHelp(spec.name, helpWidth(io)));
      for (const sub of spec.subcommands) addCommand(group, sub, program, io, run, `${spec.name} ${sub.name}`);
    } else {
      addCommand(program, spec, program, io, run, spec.name);
    }
  }
  return program;
}

function argumentTerm(a: Argument): string {
  const name = `${a.name()}${a.variadic ? '...' : ''}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

/** The columns of the terminal help is written to; 80 when it is not a terminal (commander's own default). */
function helpWidth(io: Io, stream: 'stdout' | 'stderr' = 'stdout'): number {
  const s = io[stream] as { isTTY?: boolean; columns?: number };
  return s.isTTY && s.columns ? s.columns : 80;
}

/** Declares one command from its spec (its flags, then the global ones) and routes its action to the spec's `run`. */
function addCommand(parent: Command, spec: CommandSpec, program: Command, io: Io, run: Runner, path: string): void {
  const cmd = parent.command(spec.name).description(spec.description);
  cmd.addHelpText('after', () => examplesHelp(path, helpWidth(io)));
  for (const [name, description] of spec.arguments ?? []) cmd.argument(name, description);
  for (const option of spec.options ?? []) cmd.addOption(option);
  withGlobals(cmd).action(async (...params: unknown[]) => {
    // commander passes the positional arguments, then the options, then the command itself.
    const opts = globals(program, params.at(-1) as Command);
    await run((reporter) => spec.run({ args: params.slice(0, -2), opts, io, reporter }), opts);
  });
}

/** Entry point: returns the exit code; never throws. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  // The SDK's Node-version notice would land in every user's output; README states the supported versions.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let exitCode: number = ExitCode.Ok;

  const run: Runner = async (fn, opts) => {
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
    reporter.emit({ type: 'error', ...errorInfo(err) });
    if (verbose && err.cause instanceof Error && err.cause.stack)
      reporter.emit({ type: 'info', code: 'error.stack', message: err.cause.stack });
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
