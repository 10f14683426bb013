import { partitionOf } from '../../aws/partition.js';

/** The one inline policy ecs-kit manages on its roles (secrets access, or the config's task-role statements). */
export const INLINE_POLICY_NAME = 'ecs-kit';

export function executionPolicyArn(region: string): string {
  return `arn:${partitionOf(region)}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`;
}

/**
 * Only ECS tasks of this account may assume the role; aws:SourceAccount stops another
 * account from getting ECS to act with it (the confused-deputy problem).
 */
export function trustPolicy(account: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ],
  };
}

/**
 * A policy document in a canonical form: keys sorted, one-element lists reduced to the
 * element, lists sorted. IAM accepts "Action": "x" and ["x"] alike, and may reorder.
 */
export function canonicalPolicy(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length === 1) return canonicalPolicy(value[0]);
    return value.map(canonicalPolicy).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonicalPolicy((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** Whether two policy documents say the same, however AWS ordered or shortened them. */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonicalPolicy(a)) === JSON.stringify(canonicalPolicy(b));
}

/** GetRole returns the trust policy URL-encoded. */
export function parsePolicyDocument(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    try {
      return JSON.parse(decodeURIComponent(raw));
    } catch {
      return raw;
    }
  }
}
