import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';
import { WAIT_STAGES, type WaitStage } from '../../../rollout/stages.js';
import { collect, forceUnlockFlag, intArg, pollIntervalFlag, timeoutFlag, waitTimes, type WaitFlags } from '../../flags.js';

interface DeployFlags extends WaitFlags {
  wait: boolean;
  maxFailedTasks: number;
  rollback: boolean;
  forceUnlock?: boolean;
  dryRun?: boolean;
  detailedExitcode?: boolean;
  waitUntil?: WaitStage;
  image: string[];
}

export const deploy: CommandSpec<DeployFlags, []> = {
  name: 'deploy',
  description: 'make AWS match ecs-kit.yml: shows the plan, asks, applies it and prints the URL',
  options: [
    timeoutFlag('the service rollout (e.g. 90s, 15m)', '15m'),
    new Option('--no-wait', 'do not wait for the rollout to finish'),
    new Option('--max-failed-tasks <n>', 'stop waiting once this many tasks of the new revision have stopped')
      .default(3)
      .argParser(intArg('--max-failed-tasks')),
    new Option('--no-rollback', 'after a failed rollout, leave the service on the new revision instead of going back to the previous one'),
    new Option(
      '--wait-until <stage>',
      'blue-green/linear/canary: return (exit 0) once the rollout reaches this stage instead of waiting out the bake',
    ).choices(WAIT_STAGES),
    pollIntervalFlag('10s'),
    forceUnlockFlag(),
    new Option('--dry-run', 'print the plan and stop: the same as `ecs-kit plan`'),
    new Option('--detailed-exitcode', 'with --dry-run: exit 3 when there are changes, 0 when there are none'),
    new Option('--image <service=uri>', "run this image for the service instead of the config's (repeatable; e.g. a CI build's push)")
      .argParser(collect)
      .default([]),
  ],
  async run({ opts, io, reporter }) {
    const times = waitTimes(opts);
    const { parseImagePins } = await import('../../../config/environments.js');
    const images = parseImagePins(opts.image);
    const { runDeploy } = await import('./index.js');
    return runDeploy({ ...opts, ...times, images }, io, reporter);
  },
};
