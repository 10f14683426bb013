import {
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListRoleTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfilesForRole,
  paginateListRolePolicies,
  type IAMClient,
  type Role,
  type Tag,
} from '@aws-sdk/client-iam';
import { isAwsError } from '../../aws/errors.js';
import { INLINE_POLICY_NAME, parsePolicyDocument } from './policy.js';

/** A role or policy that is already gone counts as done. */
export function ignoreGone(err: unknown): void {
  if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return;
  throw err;
}

export async function getRole(iam: IAMClient, name: string): Promise<Role | undefined> {
  try {
    return (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

export async function roleTags(iam: IAMClient, role: Role): Promise<Tag[]> {
  if (role.Tags) return role.Tags;
  const tags: Tag[] = [];
  let marker: string | undefined;
  do {
    const out = await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName, Marker: marker }));
    tags.push(...(out.Tags ?? []));
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return tags;
}

export async function attachedPolicies(iam: IAMClient, name: string): Promise<string[]> {
  const arns: string[] = [];
  for await (const page of paginateListAttachedRolePolicies({ client: iam }, { RoleName: name })) {
    for (const p of page.AttachedPolicies ?? []) if (p.PolicyArn) arns.push(p.PolicyArn);
  }
  return arns;
}

/** ecs-kit's inline policy on the role, parsed; undefined when there is none. */
export async function getInlinePolicy(iam: IAMClient, role: string): Promise<unknown> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: INLINE_POLICY_NAME }));
    return parsePolicyDocument(out.PolicyDocument);
  } catch (err) {
    if (isAwsError(err, 'NoSuchEntityException', 'NoSuchEntity')) return undefined;
    throw err;
  }
}

/** DeleteRole refuses while anything is still attached, so empty the role first. */
export async function emptyRole(iam: IAMClient, name: string): Promise<void> {
  for (const arn of await attachedPolicies(iam, name)) {
    await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn })).catch(ignoreGone);
  }
  for await (const page of paginateListRolePolicies({ client: iam }, { RoleName: name })) {
    for (const policy of page.PolicyNames ?? []) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy })).catch(ignoreGone);
    }
  }
  for await (const page of paginateListInstanceProfilesForRole({ client: iam }, { RoleName: name })) {
    for (const profile of page.InstanceProfiles ?? []) {
      await iam
        .send(new RemoveRoleFromInstanceProfileCommand({ RoleName: name, InstanceProfileName: profile.InstanceProfileName }))
        .catch(ignoreGone);
    }
  }
}
