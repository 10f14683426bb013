import { Option } from 'commander';
import type { CommandGroupSpec, CommandSpec } from '../../command-spec.js';

const copilot: CommandSpec<{ force?: boolean }, [dir: string | undefined]> = {
  name: 'copilot',
  description:
    'write ecs-kit.yml from an AWS Copilot workspace (copilot/.workspace, service and environment manifests), listing every field it could not map; never calls AWS',
  arguments: [['[dir]', 'the folder that holds copilot/ (default: the current one)']],
  options: [new Option('--force', 'overwrite an existing config file')],
  async run({ args: [dir], opts, io, reporter }) {
    const { runImportCopilot } = await import('./index.js');
    return runImportCopilot({ ...opts, dir }, io, reporter);
  },
};

export const importCommand: CommandGroupSpec = {
  name: 'import',
  description: 'bring an app over from another tool (AWS Copilot)',
  subcommands: [copilot],
};
