import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';
import { collect } from '../../flags.js';

export const plan: CommandSpec<{ detailedExitcode?: boolean; image: string[] }, []> = {
  name: 'plan',
  description: 'show what deploy would change, per step, without changing anything',
  options: [
    new Option('--detailed-exitcode', 'exit 3 when there are changes, 0 when there are none'),
    new Option('--image <service=uri>', "plan with this image for the service instead of the config's (repeatable, as deploy --image)")
      .argParser(collect)
      .default([]),
  ],
  async run({ opts, io, reporter }) {
    const { parseImagePins } = await import('../../../config/environments.js');
    const images = parseImagePins(opts.image);
    const { runPlan } = await import('./index.js');
    return runPlan({ ...opts, images }, io, reporter);
  },
};
