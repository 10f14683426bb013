import type { CommandSpec } from '../../command-spec.js';
import { pollIntervalFlag, timeoutFlag, waitTimes, type WaitFlags } from '../../flags.js';

export const runTask: CommandSpec<WaitFlags, [service: string, command: string[] | undefined]> = {
  name: 'run-task',
  description: "run a one-off task (e.g. a migration) from the service's task definition; exits with its exit code",
  arguments: [
    ['<service>', 'the service whose task definition and network to use'],
    ['[command...]', "command to run instead of the image's (put it after --)"],
  ],
  options: [timeoutFlag('the task to stop', '30m'), pollIntervalFlag('2s')],
  async run({ args: [service, command], opts, io, reporter }) {
    const times = waitTimes(opts);
    const { runRunTask } = await import('./index.js');
    return runRunTask({ ...opts, service, command: command ?? [], ...times }, io, reporter);
  },
};
