import { explainAwsError } from '../../../aws/errors.js';
import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode, UsageError } from '../../../errors.js';
import { bootstrapPolicy, deployerPolicy } from '../../../security/deployer-policy.js';
import { MANAGED_POLICY_MAX_CHARS, policySize, splitPolicy } from '../../../security/policy-document.js';
import type { GlobalOptions, Io } from '../../options.js';
import { checkEnvName, resolveRegion } from '../../run-context.js';
import { resolveStateLocation } from '../../state-store.js';

export interface IamPolicyOptions extends GlobalOptions {
  account?: string;
  /** Print the policy as a JSON list of documents that each fit one IAM managed policy. */
  split?: boolean;
  /** Print what the one-time setup needs (state init, ci-role) instead of the deployer policy. */
  bootstrap?: boolean;
}

/**
 * Prints the deployer policy JSON on stdout (the command's result, ready for
 * `> policy.json`); everything else goes through the reporter on stderr.
 */
export async function runIamPolicy(opts: IamPolicyOptions, io: Io, reporter: Reporter): Promise<number> {
  checkEnvName(opts.env);
  if (opts.account !== undefined && !/^\d{12}$/.test(opts.account)) {
    throw new UsageError(
      `--account: "${opts.account}" is not a 12-digit AWS account id.`,
      'Pass --account 123456789012, or leave it out to use the account of your credentials.',
    );
  }
  const { config } = await loadConfig(resolveConfigPath(io.cwd, opts.config), { env: opts.env, vars: io.env });
  const state = resolveStateLocation(opts, config);

  let region = opts.region ?? config.region;
  let account = opts.account;
  if (!region || !account) {
    const { AwsClients } = await import('../../../aws/clients.js');
    const aws = new AwsClients({ region, profile: opts.profile, endpoint: opts.endpointUrl, maxAttempts: opts.maxAttempts });
    try {
      if (!region) region = await resolveRegion(aws);
      if (!account) {
        try {
          ({ account } = await aws.identity());
        } catch (err) {
          throw explainAwsError(err, 'finding your AWS account (sts:GetCallerIdentity); pass --account to skip it');
        }
      }
    } finally {
      aws.destroy();
    }
  }

  const input = { config, env: opts.env, region: region, account: account, state };
  const policy = opts.bootstrap ? bootstrapPolicy(input) : deployerPolicy(input);
  const result = opts.split ? splitPolicy(policy) : policy;
  const size = policySize(policy);
  if (!opts.split && size > MANAGED_POLICY_MAX_CHARS) {
    reporter.emit({
      type: 'warn',
      code: 'iam-policy.too-large',
      message: `This policy has ${size} characters; one IAM managed policy holds at most ${MANAGED_POLICY_MAX_CHARS}. Run with --split for ${splitPolicy(policy).length} policies to attach together, or attach it as an inline policy (up to 10,240 characters per role).`,
    });
  }
  if (opts.json) reporter.emit({ type: 'output', name: 'policy', value: JSON.stringify(result) });
  else io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return ExitCode.Ok;
}
