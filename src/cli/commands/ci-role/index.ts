import { partitionOf } from '../../../aws/partition.js';
import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode, UsageError } from '../../../errors.js';
import { deployerPolicy } from '../../../security/deployer-policy.js';
import { splitPolicy } from '../../../security/policy-document.js';
import type { GlobalOptions, Io } from '../../options.js';
import { checkEnvName, connect, emitRunDone } from '../../run-context.js';
import { resolveStateLocation } from '../../state-store.js';
import { checkBranch, checkRepo, planCiRole } from './plan.js';

export interface CiRoleOptions extends GlobalOptions {
  github?: string;
  branch: string;
  pullRequests?: boolean;
  print?: boolean;
  delete?: boolean;
}

/**
 * `ecs-kit ci-role --github owner/repo [--branch main]`: the IAM role a GitHub Actions workflow assumes (OIDC, no stored
 * keys) to run ecs-kit for this app/env, with the deployer policy attached. `--print` shows it and changes nothing;
 * `--delete` removes what it created. Run it once with administrator credentials; the role itself cannot change IAM
 * outside the app's own role path.
 */
export async function runCiRole(opts: CiRoleOptions, io: Io, reporter: Reporter): Promise<number> {
  const started = Date.now();
  checkEnvName(opts.env);
  const repo = checkRepo(opts.github);
  const branch = checkBranch(opts.branch);
  if (opts.print && opts.delete) throw new UsageError('ci-role: --print and --delete do not go together.', 'Pass one of them.');
  const { config } = await loadConfig(resolveConfigPath(io.cwd, opts.config));
  const state = resolveStateLocation(opts, config);

  const { aws, counter, region, account } = await connect(opts, config, reporter);
  try {
    const parts = splitPolicy(deployerPolicy({ config, env: opts.env, region, account, state }));
    const plan = planCiRole(
      { app: config.app, env: opts.env, partition: partitionOf(region), account, repo, branch, pullRequests: Boolean(opts.pullRequests) },
      parts,
    );
    if (opts.print) {
      const printed = {
        provider: { arn: plan.providerArn, url: plan.providerUrl, clientIds: ['sts.amazonaws.com'], createdIfMissing: true },
        role: { name: plan.roleName, arn: plan.roleArn, path: '/ecs-kit-ci/', trustPolicy: plan.trustPolicy, tags: plan.tags },
        policies: plan.policies.map((p) => ({ name: p.name, arn: p.arn, document: p.document })),
      };
      if (opts.json) reporter.emit({ type: 'output', name: 'ci-role', value: JSON.stringify(printed) });
      else io.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
      return ExitCode.Ok;
    }
    const { applyCiRole, deleteCiRole } = await import('./apply.js');
    if (opts.delete) {
      const removed = await deleteCiRole(aws.iam(), plan);
      reporter.emit({
        type: 'info',
        code: 'ci-role.deleted',
        message: removed.length
          ? `Deleted ${removed.join(', ')}.`
          : `There was no CI role for ${config.app}/${opts.env}; nothing to delete.`,
      });
      emitRunDone(reporter, 'ci-role', removed.length ? 'applied' : 'no-changes', started, counter);
      return ExitCode.Ok;
    }
    const { changed } = await applyCiRole(aws.iam(), plan);
    reporter.emit({
      type: 'info',
      code: 'ci-role.ready',
      message: `${changed.length ? `Set up ${changed.join(', ')}.` : 'The CI role is up to date.'} GitHub Actions runs of ${repo} on ${branch} can assume ${plan.roleArn} (role-to-assume in .github/workflows/deploy.yml; ecs-kit init --ci github writes it).`,
    });
    reporter.emit({ type: 'output', name: 'roleArn', value: plan.roleArn });
    emitRunDone(reporter, 'ci-role', changed.length ? 'applied' : 'no-changes', started, counter);
    return ExitCode.Ok;
  } finally {
    aws.destroy();
  }
}
