import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';

export const execCommand: CommandSpec<{ task?: string; container?: string }, [service: string, command: string[] | undefined]> = {
  name: 'exec',
  description: 'a shell (or a command) in a running task of the service, through ECS Exec (needs services.<name>.exec: true)',
  arguments: [
    ['<service>', 'the service whose task to enter'],
    ['[command...]', 'command to run instead of a shell (put it after --)'],
  ],
  options: [
    new Option('--task <id>', 'the task (id or ARN); default: the newest running task of the service'),
    new Option('--container <name>', "the container; default: the service's own"),
  ],
  async run({ args: [service, command], opts, io, reporter }) {
    const { runExec } = await import('./index.js');
    return runExec({ ...opts, service, command: command ?? [] }, io, reporter);
  },
};
