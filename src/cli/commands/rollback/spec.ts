import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';
import { forceUnlockFlag, pollIntervalFlag, timeoutFlag, waitTimes, type WaitFlags } from '../../flags.js';

export const rollback: CommandSpec<WaitFlags & { wait: boolean; forceUnlock?: boolean }, [service: string | undefined]> = {
  name: 'rollback',
  description: 'put a service back on the task definition revision it ran before the last deploy',
  arguments: [['[service]', 'the service (needed when there are several)']],
  options: [
    timeoutFlag('the rollout', '15m'),
    new Option('--no-wait', 'do not wait for the rollout to finish'),
    pollIntervalFlag('10s'),
    forceUnlockFlag(),
  ],
  async run({ args: [service], opts, io, reporter }) {
    const times = waitTimes(opts);
    const { runRollback } = await import('./index.js');
    return runRollback({ ...opts, service, ...times }, io, reporter);
  },
};
