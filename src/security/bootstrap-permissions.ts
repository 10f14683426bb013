import type { PolicyContext } from './policy-context.js';
import type { Statement } from './statements.js';

/*
 * What the one-time setup commands need, run by an administrator, and never granted to the deployer (a CI role that
 * could create roles or OIDC providers could give itself anything): `state init` (and `teardown --delete-bucket`),
 * and `ci-role`. `iam-policy --bootstrap` prints them.
 */

/** GitHub Actions' OIDC token issuer (docs.github.com, "About security hardening with OpenID Connect"). */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
/** `ci-role`'s role and policies live under this path: outside /ecs-kit/<app>/<env>/, which the deployer policy may change. */
export const CI_PATH = '/ecs-kit-ci/';

/** `state init` creates and configures the state bucket; `teardown --delete-bucket` deletes it once empty. */
function stateBucket(ctx: PolicyContext): Statement[] {
  const bucket = ctx.state?.backend === 's3' ? ctx.state.bucket : '*';
  return [
    {
      Sid: 'StateBucketSetup',
      Effect: 'Allow',
      Action: [
        's3:CreateBucket',
        's3:TagResource',
        's3:GetBucketTagging',
        's3:ListBucket',
        's3:GetBucketVersioning',
        's3:PutBucketVersioning',
        's3:GetBucketPublicAccessBlock',
        's3:PutBucketPublicAccessBlock',
        's3:GetEncryptionConfiguration',
        's3:PutEncryptionConfiguration',
        's3:ListBucketVersions',
        's3:DeleteBucket',
      ],
      Resource: `arn:${ctx.partition}:s3:::${bucket}`,
    },
  ];
}

/** `ci-role`: GitHub's OIDC provider, the CI role and its managed policies, all under their own names and path. */
function ciRole(ctx: PolicyContext): Statement[] {
  return [
    {
      Sid: 'CiOidcProvider',
      Effect: 'Allow',
      Action: [
        'iam:GetOpenIDConnectProvider',
        'iam:CreateOpenIDConnectProvider',
        'iam:TagOpenIDConnectProvider',
        'iam:DeleteOpenIDConnectProvider',
      ],
      Resource: ctx.iamArn(`oidc-provider/${GITHUB_OIDC_HOST}`),
    },
    {
      Sid: 'CiRole',
      Effect: 'Allow',
      Action: [
        'iam:GetRole',
        'iam:ListRoleTags',
        'iam:CreateRole',
        'iam:TagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:AttachRolePolicy',
        'iam:DetachRolePolicy',
        'iam:ListAttachedRolePolicies',
        'iam:ListRolePolicies',
        'iam:DeleteRolePolicy',
        'iam:ListInstanceProfilesForRole',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:DeleteRole',
      ],
      Resource: ctx.iamArn(`role${CI_PATH}*`),
    },
    {
      Sid: 'CiPolicies',
      Effect: 'Allow',
      Action: [
        'iam:GetPolicy',
        'iam:GetPolicyVersion',
        'iam:ListPolicyVersions',
        'iam:CreatePolicy',
        'iam:TagPolicy',
        'iam:CreatePolicyVersion',
        'iam:DeletePolicyVersion',
        'iam:DeletePolicy',
      ],
      Resource: ctx.iamArn(`policy${CI_PATH}*`),
    },
    // Listing cannot be scoped; ListRoles tells whether any role still trusts the provider before --delete removes it.
    { Sid: 'CiList', Effect: 'Allow', Action: ['iam:ListPolicies', 'iam:ListRoles'], Resource: '*' },
  ];
}

export function bootstrapPermissions(ctx: PolicyContext): Statement[] {
  return [...stateBucket(ctx), ...ciRole(ctx), { Sid: 'Identity', Effect: 'Allow', Action: ['sts:GetCallerIdentity'], Resource: '*' }];
}
