import { UsageError } from '../../../errors.js';
import type { Io } from '../../options.js';
import { bashScript, fishScript, zshScript } from './scripts.js';
import { completionTree } from './tree.js';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

/** Prints the completion script of one shell, generated from the command table (the same program --help shows). */
export async function runCompletion(shell: string, io: Io): Promise<number> {
  const generate = SHELLS[shell as keyof typeof SHELLS] as (typeof SHELLS)[keyof typeof SHELLS] | undefined;
  if (!generate) {
    throw new UsageError(`completion: "${shell}" is not a shell ecs-kit completes.`, 'Use one of: ecs-kit completion bash | zsh | fish.');
  }
  // main.ts builds the program from the command table; imported here, when the table is complete.
  const { buildProgram } = await import('../../main.js');
  io.stdout.write(generate(completionTree(buildProgram(io))));
  return 0;
}
