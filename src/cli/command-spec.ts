import type { Option } from 'commander';
import type { Reporter } from '../engine/events.js';
import type { GlobalOptions, Io } from './options.js';

/** What a command's `run` gets once commander has parsed the command line. */
export interface CommandInput<O extends object, A extends unknown[]> {
  /** Positional arguments, in the order the spec declares them. */
  args: A;
  /** The global flags (merged from before and after the command word) and the command's own. */
  opts: GlobalOptions & O;
  io: Io;
  reporter: Reporter;
}

/**
 * One command's whole surface, next to its handler (as vercel's CLI declares each command in
 * `commands/<name>/command.ts`): what `--help` shows and how the parsed flags reach the handler.
 * `src/cli/commands/index.ts` lists every spec; `main.ts` registers them from that one table.
 */
export interface CommandSpec<O extends object = object, A extends unknown[] = unknown[]> {
  name: string;
  description: string;
  /** Positional arguments as commander writes them ('<service>', '[command...]'); help lists those with a description. */
  arguments?: readonly (readonly [name: string, description?: string])[];
  /** The command's own flags; every command also takes the global ones (flags.ts). */
  options?: readonly Option[];
  /**
   * Turns the parsed flags into the handler's options and runs it, resolving to the exit code.
   * The handler module is imported here, lazily: `ecs-kit --help` must not load the AWS SDK.
   */
  run(input: CommandInput<O, A>): Promise<number>;
}

/** A word that groups subcommands (`secret set|list`); the group itself takes no flags and runs nothing. */
export interface CommandGroupSpec {
  name: string;
  description: string;
  subcommands: readonly CommandSpec[];
}
