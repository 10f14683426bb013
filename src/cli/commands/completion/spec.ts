import type { CommandSpec } from '../../command-spec.js';

export const completion: CommandSpec<object, [shell: string]> = {
  name: 'completion',
  description: 'print a shell completion script for bash, zsh or fish (commands, flags and their values)',
  arguments: [['<shell>', 'bash, zsh or fish']],
  async run({ args: [shell], io }) {
    const { runCompletion } = await import('./index.js');
    return runCompletion(shell, io);
  },
};
