import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';

export const plan: CommandSpec<{ detailedExitcode?: boolean }, []> = {
  name: 'plan',
  description: 'show what deploy would change, per step, without changing anything',
  options: [new Option('--detailed-exitcode', 'exit 3 when there are changes, 0 when there are none')],
  async run({ opts, io, reporter }) {
    const { runPlan } = await import('./index.js');
    return runPlan(opts, io, reporter);
  },
};
