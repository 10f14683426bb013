import type { CommandSpec } from '../../command-spec.js';

export const status: CommandSpec<object, [service: string | undefined]> = {
  name: 'status',
  description: 'desired/running/pending tasks, revisions, deployments, target health and URL of each service',
  arguments: [['[service]', 'one service (default: all)']],
  async run({ args: [service], opts, io, reporter }) {
    const { runStatus } = await import('./index.js');
    return runStatus({ ...opts, service }, io, reporter);
  },
};
