import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';
import { forceUnlockFlag } from '../../flags.js';

export const teardown: CommandSpec<{ forceUnlock?: boolean; deleteBucket?: boolean }, []> = {
  name: 'teardown',
  description: 'delete everything ecs-kit created for this app and environment',
  options: [
    forceUnlockFlag(),
    new Option(
      '--delete-bucket',
      'with S3 state: also delete the state bucket, if ecs-kit state init created it and nothing else is in it',
    ),
  ],
  async run({ opts, io, reporter }) {
    const { runTeardown } = await import('./index.js');
    return runTeardown(opts, io, reporter);
  },
};
