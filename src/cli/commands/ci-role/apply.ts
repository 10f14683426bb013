import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  UpdateAssumeRolePolicyCommand,
  paginateListPolicies,
  paginateListRoles,
  type IAMClient,
  type Policy,
  type Tag,
} from '@aws-sdk/client-iam';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import { isOwnedBy } from '../../../aws/tags.js';
import { EcsKitError } from '../../../errors.js';
import { attachedPolicies, emptyRole, getRole, roleTags } from '../../../steps/roles/iam.js';
import { parsePolicyDocument, samePolicy } from '../../../steps/roles/policy.js';
import { CI_PATH, STS_AUDIENCE, TAG_CREATED_BY, type CiRolePlan } from './plan.js';

const gone = (err: unknown) => isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity');
const exists = (err: unknown) => isAwsError(err, 'EntityAlreadyExistsException', 'EntityAlreadyExists');
const owner = (plan: CiRolePlan) => ({ app: tagValue(plan.tags, 'ecs-kit:app')!, env: tagValue(plan.tags, 'ecs-kit:env')! });
const tagValue = (tags: Tag[], key: string) => tags.find((t) => t.Key === key)?.Value;

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainAwsError(err, what);
  }
}

function notOwned(what: string): EcsKitError {
  return new EcsKitError('ci-role.not-owned', `${what} exists, but ecs-kit did not create it for this app and environment.`, {
    why: 'ecs-kit only changes and deletes what it created (its tags say so), so it left it alone.',
    fix: 'Delete or rename it yourself, or run ci-role for another --env.',
  });
}

/** GitHub's OIDC provider: created when missing (no thumbprint: IAM verifies GitHub through its trusted CAs), else left as it is. */
async function ensureProvider(iam: IAMClient, plan: CiRolePlan): Promise<'created' | 'existing'> {
  try {
    const p = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: plan.providerArn }));
    if (!(p.ClientIDList ?? []).includes(STS_AUDIENCE)) {
      throw new EcsKitError('ci-role.audience', `The OIDC provider ${plan.providerArn} does not list the audience ${STS_AUDIENCE}.`, {
        why: 'aws-actions/configure-aws-credentials asks GitHub for tokens with that audience; ecs-kit does not change a provider it did not create.',
        fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${plan.providerArn} --client-id ${STS_AUDIENCE}`,
      });
    }
    return 'existing';
  } catch (err) {
    if (!gone(err)) throw explainAwsError(err, 'reading the GitHub OIDC provider');
  }
  // ThumbprintList is optional: "If it is not included, IAM will retrieve and use the top intermediate certificate authority
  // (CA) thumbprint" (CreateOpenIDConnectProvider API reference), and for GitHub IAM uses its library of trusted root CAs.
  await iam
    .send(
      new CreateOpenIDConnectProviderCommand({
        Url: plan.providerUrl,
        ClientIDList: [STS_AUDIENCE],
        Tags: [{ Key: TAG_CREATED_BY, Value: 'ci-role' }],
      }),
    )
    .catch((err: unknown) => {
      if (!exists(err)) throw explainAwsError(err, 'creating the GitHub OIDC provider');
    });
  return 'created';
}

async function ensureRole(iam: IAMClient, plan: CiRolePlan): Promise<string[]> {
  const doc = JSON.stringify(plan.trustPolicy);
  const role = await call('reading the CI role', () => getRole(iam, plan.roleName));
  if (!role) {
    await iam
      .send(
        new CreateRoleCommand({
          RoleName: plan.roleName,
          Path: CI_PATH,
          AssumeRolePolicyDocument: doc,
          Description: `ecs-kit deploys of ${owner(plan).app}/${owner(plan).env} from GitHub Actions (${tagValue(plan.tags, 'ecs-kit:ci-repo')})`,
          Tags: plan.tags,
        }),
      )
      .catch((err: unknown) => {
        if (!exists(err)) throw explainAwsError(err, `creating the role ${plan.roleName}`);
      });
    return ['role'];
  }
  if (!isOwnedBy(await call('reading the CI role tags', () => roleTags(iam, role)), owner(plan)))
    throw notOwned(`The role ${plan.roleName}`);
  if (samePolicy(parsePolicyDocument(role.AssumeRolePolicyDocument), plan.trustPolicy)) return [];
  await call('updating the CI role trust policy', () =>
    iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: plan.roleName, PolicyDocument: doc })),
  );
  return ['trust policy'];
}

/** One part of the deployer policy as a customer managed policy: created, or given a new default version when it changed. */
async function ensurePolicy(iam: IAMClient, plan: CiRolePlan, p: CiRolePlan['policies'][number]): Promise<string[]> {
  const document = JSON.stringify(p.document);
  let current: Policy | undefined;
  try {
    current = (await iam.send(new GetPolicyCommand({ PolicyArn: p.arn }))).Policy;
  } catch (err) {
    if (!gone(err)) throw explainAwsError(err, `reading the policy ${p.name}`);
  }
  if (!current) {
    await iam
      .send(new CreatePolicyCommand({ PolicyName: p.name, Path: CI_PATH, PolicyDocument: document, Tags: plan.tags }))
      .catch((err: unknown) => {
        if (!exists(err)) throw explainAwsError(err, `creating the policy ${p.name}`);
      });
    return [p.name];
  }
  if (!isOwnedBy(current.Tags, owner(plan))) throw notOwned(`The policy ${p.arn}`);
  const versionId = current.DefaultVersionId;
  const version = await call(`reading the policy ${p.name}`, () =>
    iam.send(new GetPolicyVersionCommand({ PolicyArn: p.arn, VersionId: versionId })),
  );
  if (samePolicy(parsePolicyDocument(version.PolicyVersion?.Document), p.document)) return [];
  // A managed policy keeps at most 5 versions (IAM quotas): make room by deleting the oldest that is not the default.
  const versions =
    (await call(`listing ${p.name} versions`, () => iam.send(new ListPolicyVersionsCommand({ PolicyArn: p.arn })))).Versions ?? [];
  if (versions.length >= 5) {
    const oldest = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => Number(a.CreateDate) - Number(b.CreateDate))[0];
    if (oldest) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: p.arn, VersionId: oldest.VersionId }));
  }
  await call(`updating the policy ${p.name}`, () =>
    iam.send(new CreatePolicyVersionCommand({ PolicyArn: p.arn, PolicyDocument: document, SetAsDefault: true })),
  );
  return [`${p.name} (new version)`];
}

/** The role's policies under the CI path named `<role>-<n>`: ours, attached or not (parts left from a larger policy too). */
async function ownPolicies(iam: IAMClient, plan: CiRolePlan): Promise<{ arn: string; name: string }[]> {
  const out: { arn: string; name: string }[] = [];
  for await (const page of paginateListPolicies({ client: iam }, { Scope: 'Local', PathPrefix: CI_PATH })) {
    for (const p of page.Policies ?? []) {
      if (p.Arn && p.PolicyName && new RegExp(`^${plan.roleName}-\\d+$`).test(p.PolicyName)) out.push({ arn: p.Arn, name: p.PolicyName });
    }
  }
  return out;
}

async function deletePolicy(iam: IAMClient, arn: string): Promise<void> {
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn })).catch(() => ({ Versions: [] }))).Versions ?? [];
  for (const v of versions.filter((x) => !x.IsDefaultVersion)) {
    try {
      await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId }));
    } catch (err) {
      if (!gone(err)) throw explainAwsError(err, `deleting a version of ${arn}`);
    }
  }
  await iam.send(new DeletePolicyCommand({ PolicyArn: arn })).catch((err: unknown) => {
    if (!gone(err)) throw explainAwsError(err, `deleting the policy ${arn}`);
  });
}

/** Creates or updates everything; returns what changed (empty: nothing did, and no mutating call was made). */
export async function applyCiRole(iam: IAMClient, plan: CiRolePlan): Promise<{ changed: string[]; provider: 'created' | 'existing' }> {
  const provider = await ensureProvider(iam, plan);
  const changed = [...(provider === 'created' ? ['OIDC provider'] : []), ...(await ensureRole(iam, plan))];
  for (const p of plan.policies) changed.push(...(await ensurePolicy(iam, plan, p)));
  const attached = new Set(await call('listing the CI role policies', () => attachedPolicies(iam, plan.roleName)));
  for (const p of plan.policies.filter((x) => !attached.has(x.arn))) {
    await call(`attaching ${p.name}`, () => iam.send(new AttachRolePolicyCommand({ RoleName: plan.roleName, PolicyArn: p.arn })));
    changed.push(`attached ${p.name}`);
  }
  // Parts of an earlier, larger policy that this one no longer needs.
  const wanted = new Set(plan.policies.map((p) => p.arn));
  for (const extra of (await ownPolicies(iam, plan)).filter((p) => !wanted.has(p.arn))) {
    if (attached.has(extra.arn)) await iam.send(new DetachRolePolicyCommand({ RoleName: plan.roleName, PolicyArn: extra.arn }));
    await deletePolicy(iam, extra.arn);
    changed.push(`deleted ${extra.name}`);
  }
  return { changed, provider };
}

/** Whether any role in the account still trusts the provider (then it stays, even if ci-role created it). */
async function providerInUse(iam: IAMClient, providerArn: string): Promise<boolean> {
  for await (const page of paginateListRoles({ client: iam }, {})) {
    for (const r of page.Roles ?? []) {
      const trust = r.AssumeRolePolicyDocument ? JSON.stringify(parsePolicyDocument(r.AssumeRolePolicyDocument)) : '';
      if (trust.includes(providerArn)) return true;
    }
  }
  return false;
}

/** --delete: the role (emptied first), its policies, and the provider when ci-role created it and no role trusts it any more. */
export async function deleteCiRole(iam: IAMClient, plan: CiRolePlan): Promise<string[]> {
  const removed: string[] = [];
  const role = await call('reading the CI role', () => getRole(iam, plan.roleName));
  if (role) {
    if (!isOwnedBy(await call('reading the CI role tags', () => roleTags(iam, role)), owner(plan)))
      throw notOwned(`The role ${plan.roleName}`);
    await call(`emptying the role ${plan.roleName}`, () => emptyRole(iam, plan.roleName));
    await iam.send(new DeleteRoleCommand({ RoleName: plan.roleName })).catch((err: unknown) => {
      if (!gone(err)) throw explainAwsError(err, `deleting the role ${plan.roleName}`);
    });
    removed.push(`role ${plan.roleName}`);
  }
  for (const p of await call('listing the CI policies', () => ownPolicies(iam, plan))) {
    const tags = (await iam.send(new GetPolicyCommand({ PolicyArn: p.arn })).catch(() => ({ Policy: undefined }))).Policy?.Tags;
    if (!isOwnedBy(tags, owner(plan))) continue;
    await deletePolicy(iam, p.arn);
    removed.push(`policy ${p.name}`);
  }
  let provider;
  try {
    provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: plan.providerArn }));
  } catch (err) {
    if (!gone(err)) throw explainAwsError(err, 'reading the GitHub OIDC provider');
  }
  if (provider && tagValue(provider.Tags ?? [], TAG_CREATED_BY) === 'ci-role' && !(await providerInUse(iam, plan.providerArn))) {
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: plan.providerArn })).catch((err: unknown) => {
      if (!gone(err)) throw explainAwsError(err, 'deleting the GitHub OIDC provider');
    });
    removed.push('GitHub OIDC provider');
  }
  return removed;
}
