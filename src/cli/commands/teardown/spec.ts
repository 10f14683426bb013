import type { CommandSpec } from '../../command-spec.js';
import { forceUnlockFlag } from '../../flags.js';

export const teardown: CommandSpec<{ forceUnlock?: boolean }, []> = {
  name: 'teardown',
  description: 'delete everything ecs-kit created for this app and environment',
  options: [forceUnlockFlag()],
  async run({ opts, io, reporter }) {
    const { runTeardown } = await import('./index.js');
    return runTeardown(opts, io, reporter);
  },
};
