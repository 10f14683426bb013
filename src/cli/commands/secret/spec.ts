import type { CommandGroupSpec, CommandSpec } from '../../command-spec.js';

const set: CommandSpec<object, [service: string, name: string]> = {
  name: 'set',
  description:
    'read a value from a hidden prompt or stdin, store it as an SSM SecureString /ecs-kit/<app>/<env>/<name> and add the reference to the config',
  arguments: [['<service>'], ['<name>']],
  async run({ args: [service, name], opts, io, reporter }) {
    const { runSecretSet } = await import('./index.js');
    return runSecretSet({ ...opts, service, name }, io, reporter);
  },
};

const list: CommandSpec<object, []> = {
  name: 'list',
  description: "list each service's secrets and where they live (never their values)",
  async run({ opts, io, reporter }) {
    const { runSecretList } = await import('./index.js');
    return runSecretList(opts, io, reporter);
  },
};

export const secret: CommandGroupSpec = {
  name: 'secret',
  description: 'store secrets in SSM Parameter Store and reference them from the config (values never in argv or output)',
  subcommands: [set, list],
};
