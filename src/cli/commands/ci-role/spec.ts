import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';

interface CiRoleFlags {
  github?: string;
  branch: string;
  pullRequests?: boolean;
  print?: boolean;
  delete?: boolean;
}

export const ciRole: CommandSpec<CiRoleFlags, []> = {
  name: 'ci-role',
  description: 'create the IAM role GitHub Actions assumes (OIDC) to deploy this app/env, with the deployer policy; --delete removes it',
  options: [
    new Option('--github <owner/repo>', 'the repository whose workflows may assume the role').makeOptionMandatory(),
    new Option('--branch <name>', 'the only branch whose runs may assume it').default('main'),
    new Option('--pull-requests', 'also trust pull_request runs (for plan on pull requests; they get the same permissions)'),
    new Option('--print', 'print the provider, trust policy and policies instead of creating them'),
    new Option('--delete', 'delete the role and policies ci-role created (and the OIDC provider, if it created it and no role uses it)'),
  ],
  async run({ opts, io, reporter }) {
    const { runCiRole } = await import('./index.js');
    return runCiRole(opts, io, reporter);
  },
};
