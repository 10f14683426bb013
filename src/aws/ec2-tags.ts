import type { ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { ownerTags, type Owner } from './tags.js';

/** Owner tags, the role tag and a readable Name tag (`<app>-<env>-<role>`) for the console. */
export function ec2Tags(owner: Owner, role: string, name: string): Tag[] {
  return [...ownerTags(owner, role), { Key: 'Name', Value: name }];
}

export function tagSpec(resourceType: ResourceType, owner: Owner, role: string, name: string): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: ec2Tags(owner, role, name) }];
}

export function tagValue(tags: { Key?: string; Value?: string }[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}
