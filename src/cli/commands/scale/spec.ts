import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';
import { forceUnlockFlag, nonNegativeIntArg, pollIntervalFlag, timeoutFlag, waitTimes, type WaitFlags } from '../../flags.js';

interface ScaleFlags extends WaitFlags {
  count?: number;
  min?: number;
  max?: number;
  wait: boolean;
  forceUnlock?: boolean;
}

export const scale: CommandSpec<ScaleFlags, [service: string]> = {
  name: 'scale',
  description: 'set the number of tasks (and the autoscaling range) of a service',
  arguments: [['<service>', 'the service to scale']],
  options: [
    new Option('--count <n>', 'desired number of tasks').argParser(nonNegativeIntArg('--count')),
    new Option('--min <n>', 'autoscaling minimum (services with autoscaling)').argParser(nonNegativeIntArg('--min')),
    new Option('--max <n>', 'autoscaling maximum (services with autoscaling)').argParser(nonNegativeIntArg('--max')),
    timeoutFlag('the service to settle', '15m'),
    new Option('--no-wait', 'do not wait for the service to settle'),
    pollIntervalFlag('10s'),
    forceUnlockFlag(),
  ],
  async run({ args: [service], opts, io, reporter }) {
    const times = waitTimes(opts);
    const { runScale } = await import('./index.js');
    return runScale({ ...opts, service, ...times }, io, reporter);
  },
};
