/** Every resource ecs-kit creates carries these two tags; teardown checks them before deleting. */
export const TAG_APP = 'ecs-kit:app';
export const TAG_ENV = 'ecs-kit:env';
/** Names the role a resource plays (e.g. "public-subnet-1") so a re-run can find it by tags. */
export const TAG_ROLE = 'ecs-kit:resource';

export interface Owner {
  app: string;
  env: string;
}

export type KV = { Key: string; Value: string };

export function ownerTags(owner: Owner, role?: string): KV[] {
  const tags: KV[] = [
    { Key: TAG_APP, Value: owner.app },
    { Key: TAG_ENV, Value: owner.env },
  ];
  if (role) tags.push({ Key: TAG_ROLE, Value: role });
  return tags;
}

/** ECS spells tags {key, value}. */
export function ecsTags(owner: Owner, role?: string): { key: string; value: string }[] {
  return ownerTags(owner, role).map((t) => ({ key: t.Key, value: t.Value }));
}

/** CloudWatch Logs and Application Auto Scaling take a plain map. */
export function tagMap(owner: Owner, role?: string): Record<string, string> {
  return Object.fromEntries(ownerTags(owner, role).map((t) => [t.Key, t.Value]));
}

/** EC2 Describe* filters that match resources we own (optionally one role). */
export function ownerFilters(owner: Owner, role?: string): { Name: string; Values: string[] }[] {
  return ownerTags(owner, role).map((t) => ({ Name: `tag:${t.Key}`, Values: [t.Value] }));
}

type AnyTag = { Key?: string; Value?: string; key?: string; value?: string };

/** True when a resource's tags (any AWS spelling, or a map) say this app/env owns it. */
export function isOwnedBy(tags: AnyTag[] | Record<string, string> | undefined, owner: Owner): boolean {
  if (!tags) return false;
  const map: Record<string, string | undefined> = Array.isArray(tags)
    ? Object.fromEntries(tags.map((t) => [t.Key ?? t.key ?? '', t.Value ?? t.value]))
    : tags;
  return map[TAG_APP] === owner.app && map[TAG_ENV] === owner.env;
}
