import type { CommandSpec } from '../../command-spec.js';
import { forceUnlockFlag, pollIntervalFlag, timeoutFlag, waitTimes, type WaitFlags } from '../../flags.js';

export const abort: CommandSpec<WaitFlags & { forceUnlock?: boolean }, [service: string | undefined]> = {
  name: 'abort',
  description: 'roll back a blue/green, linear or canary rollout in progress (paused or not) to the revision before it',
  arguments: [['[service]', 'the service (needed when there are several)']],
  options: [timeoutFlag('the rollback', '15m'), pollIntervalFlag('10s'), forceUnlockFlag()],
  async run({ args: [service], opts, io, reporter }) {
    const times = waitTimes(opts);
    const { runAbort } = await import('./index.js');
    return runAbort({ ...opts, service, ...times }, io, reporter);
  },
};
