import type { CommandSpec } from '../../command-spec.js';

export const config: CommandSpec<object, []> = {
  name: 'config',
  description: 'print the effective config of an environment (--env): overrides merged, ${VAR}s filled in, defaults shown; no AWS call',
  async run({ opts, io, reporter }) {
    const { runConfig } = await import('./index.js');
    return runConfig(opts, io, reporter);
  },
};
