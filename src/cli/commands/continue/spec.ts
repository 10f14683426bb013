import type { CommandSpec } from '../../command-spec.js';
import { forceUnlockFlag, pollIntervalFlag, timeoutFlag, waitTimes, type WaitFlags } from '../../flags.js';

export const continueCommand: CommandSpec<WaitFlags & { forceUnlock?: boolean }, [service: string | undefined]> = {
  name: 'continue',
  description: 'go on with a blue/green, linear or canary rollout paused at a hook (deployment.pauseBefore)',
  arguments: [['[service]', 'the service (needed when there are several)']],
  options: [timeoutFlag('the rollout', '15m'), pollIntervalFlag('10s'), forceUnlockFlag()],
  async run({ args: [service], opts, io, reporter }) {
    const times = waitTimes(opts);
    const { runContinue } = await import('./index.js');
    return runContinue({ ...opts, service, ...times }, io, reporter);
  },
};
