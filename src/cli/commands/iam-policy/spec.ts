import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';

export const iamPolicy: CommandSpec<{ account?: string; split?: boolean; bootstrap?: boolean }, []> = {
  name: 'iam-policy',
  description: 'print the minimal IAM policy a person or CI role needs to run ecs-kit for this config',
  options: [
    new Option('--account <id>', 'AWS account id to put in the ARNs (default: the account of your credentials)'),
    new Option('--split', 'print a JSON list of policies that each fit one IAM managed policy (6,144 characters)'),
    new Option('--bootstrap', 'print what the one-time setup needs instead (state init, ci-role; for an administrator)'),
  ],
  async run({ opts, io, reporter }) {
    const { runIamPolicy } = await import('./index.js');
    return runIamPolicy(opts, io, reporter);
  },
};
