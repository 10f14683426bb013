import { AbortedError } from '../errors.js';

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/** Returns true when the answer is acceptable, or the message to show. */
export type Validate<T> = (value: T) => true | string;

/**
 * Everything the CLI asks a person goes through this seam, so tests can script the
 * answers and the commands never import inquirer themselves.
 */
export interface Prompter {
  input(q: { message: string; default?: string; validate?: Validate<string> }): Promise<string>;
  number(q: { message: string; default?: number; min?: number; max?: number; validate?: Validate<number> }): Promise<number>;
  select<T>(q: { message: string; choices: readonly Choice<T>[]; default?: T }): Promise<T>;
  confirm(q: { message: string; default?: boolean }): Promise<boolean>;
  /** Pick any number of choices (those with checked: true start ticked); validate sees the picked values. */
  checkbox<T>(q: {
    message: string;
    choices: readonly (Choice<T> & { checked?: boolean })[];
    validate?: Validate<readonly T[]>;
  }): Promise<T[]>;
}

export interface PrompterOptions {
  input?: NodeJS.ReadableStream;
  /** Prompts draw on stderr so stdout stays clean for results. */
  output?: NodeJS.WritableStream;
  signal?: AbortSignal;
}

/** The inquirer-backed prompter; inquirer is loaded only when something is going to be asked. */
export async function createPrompter(opts: PrompterOptions = {}): Promise<Prompter> {
  const inquirer = await import('@inquirer/prompts');
  const context = {
    output: opts.output ?? process.stderr,
    ...(opts.input ? { input: opts.input } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  return {
    input: (q) => ask(inquirer.input({ message: q.message, default: q.default, validate: q.validate }, context)),
    number: (q) =>
      ask(
        inquirer.number({ message: q.message, default: q.default, min: q.min, max: q.max, required: true, validate: q.validate }, context),
      ),
    select: <T>(q: { message: string; choices: readonly Choice<T>[]; default?: T }) =>
      ask(inquirer.select<T>({ message: q.message, choices: q.choices, default: q.default, pageSize: 12 }, context)),
    confirm: (q) => ask(inquirer.confirm({ message: q.message, default: q.default }, context)),
    checkbox: <T>(q: { message: string; choices: readonly (Choice<T> & { checked?: boolean })[]; validate?: Validate<readonly T[]> }) =>
      ask(
        inquirer.checkbox<T>(
          {
            message: q.message,
            choices: q.choices,
            pageSize: 12,
            ...(q.validate ? { validate: (picked: readonly { value: T }[]) => q.validate!(picked.map((c) => c.value)) } : {}),
          },
          context,
        ),
      ),
  };
}

/** Ctrl-C (or an aborted signal) inside a prompt is the user leaving: exit 130, no stack. */
async function ask<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'CancelPromptError') {
      throw new AbortedError('Cancelled; nothing was changed.');
    }
    throw err;
  }
}

/** For destructive actions: the person must type `expected` exactly (surrounding spaces ignored). */
export async function confirmByTyping(prompter: Prompter, expected: string, message: string): Promise<boolean> {
  const answer = await prompter.input({ message });
  return answer.trim() === expected;
}
