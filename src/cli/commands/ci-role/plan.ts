import { ownerTags, type KV } from '../../../aws/tags.js';
import { namesFor } from '../../../config/names.js';
import type { DeployerPolicyDocument } from '../../../security/policy-document.js';
import { UsageError } from '../../../errors.js';

/**
 * What `ecs-kit ci-role` creates for one app/env: GitHub's OIDC provider in the account (when missing), a role that
 * only GitHub Actions runs of one repository and branch can assume, and the deployer policy as customer managed
 * policies attached to it (`splitPolicy()`: a whole app's policy is larger than one managed policy's 6,144 characters;
 * managed policies scale to 10 per role × 6,144, where all inline policies of a role share 10,240).
 */

export { CI_PATH, GITHUB_OIDC_HOST } from '../../../security/bootstrap-permissions.js';
import { CI_PATH, GITHUB_OIDC_HOST } from '../../../security/bootstrap-permissions.js';
/** The audience GitHub's aws-actions/configure-aws-credentials asks tokens for. */
export const STS_AUDIENCE = 'sts.amazonaws.com';
export const TAG_CI_REPO = 'ecs-kit:ci-repo';
/** On a provider ci-role created (a provider that was there before has no such tag and is never deleted). */
export const TAG_CREATED_BY = 'ecs-kit:created-by';

export interface CiRoleInput {
  app: string;
  env: string;
  partition: string;
  account: string;
  repo: string;
  branch: string;
  /** Also trust pull_request runs (for `plan` on pull requests). */
  pullRequests: boolean;
}

export interface CiRolePlan {
  providerArn: string;
  providerUrl: string;
  roleName: string;
  roleArn: string;
  trustPolicy: Record<string, unknown>;
  policies: { name: string; arn: string; document: DeployerPolicyDocument }[];
  tags: KV[];
}

/** owner/repo as GitHub allows them (owner: letters, digits, hyphens, ≤39; repository: letters, digits, . _ -, ≤100). */
export function checkRepo(repo: string | undefined): string {
  if (!repo || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/.test(repo) || /\/\.\.?$/.test(repo)) {
    throw new UsageError(`--github: "${repo ?? ''}" is not a GitHub repository.`, 'Pass it as owner/repo, e.g. --github acme/shop.');
  }
  return repo;
}

/** A branch name the sub claim can carry literally (no wildcards: the role trusts exactly one branch). */
export function checkBranch(branch: string): string {
  if (
    !/^[A-Za-z0-9._/-]+$/.test(branch) ||
    branch.startsWith('/') ||
    branch.startsWith('-') ||
    branch.includes('..') ||
    branch.endsWith('/')
  ) {
    throw new UsageError(
      `--branch: "${branch}" is not a branch name ecs-kit can trust exactly.`,
      'Pass a plain branch name such as main (no wildcards).',
    );
  }
  return branch;
}

export function ciRoleName(app: string, env: string): string {
  return `ecs-kit-ci-${namesFor(app, env).prefix}`;
}

export function planCiRole(input: CiRoleInput, parts: DeployerPolicyDocument[]): CiRolePlan {
  const iam = (resource: string) => `arn:${input.partition}:iam::${input.account}:${resource}`;
  const roleName = ciRoleName(input.app, input.env);
  const subjects = [
    `repo:${input.repo}:ref:refs/heads/${input.branch}`,
    ...(input.pullRequests ? [`repo:${input.repo}:pull_request`] : []),
  ];
  const providerArn = iam(`oidc-provider/${GITHUB_OIDC_HOST}`);
  // GitHub's OIDC claims (docs.github.com, "Configuring OpenID Connect in Amazon Web Services"): aud and sub checked exactly.
  const trustPolicy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
            [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0]! : subjects,
          },
        },
      },
    ],
  };
  return {
    providerArn,
    providerUrl: `https://${GITHUB_OIDC_HOST}`,
    roleName,
    roleArn: iam(`role${CI_PATH}${roleName}`),
    trustPolicy,
    policies: parts.map((document, i) => {
      const name = `${roleName}-${i + 1}`;
      return { name, arn: iam(`policy${CI_PATH}${name}`), document };
    }),
    tags: [...ownerTags({ app: input.app, env: input.env }), { Key: TAG_CI_REPO, Value: input.repo }],
  };
}
