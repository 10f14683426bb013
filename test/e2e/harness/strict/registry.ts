import { EC2_RULES } from './ec2.js';
import { DEPLOYMENT_RULES } from './ecs-deployments.js';
import { ECS_RULES } from './ecs.js';
import { ELB_RULES } from './elb.js';
import { IAM_RULES } from './iam.js';
import { NAME_RULES } from './names.js';
import { S3_RULES } from './s3.js';
import type { Rule } from './types.js';
import { WORKLOAD_RULES } from './workloads.js';

/**
 * Every rule of the strict layer, in the order they are checked: names and shapes first (AWS
 * validates the request before it looks at state), then timing and state.
 */
export const RULES: readonly Rule[] = [
  ...NAME_RULES,
  ...WORKLOAD_RULES,
  ...IAM_RULES,
  ...EC2_RULES,
  ...ELB_RULES,
  ...ECS_RULES,
  ...DEPLOYMENT_RULES,
  ...S3_RULES,
];

const ids = RULES.map((r) => r.id);
if (new Set(ids).size !== ids.length) throw new Error(`strict layer: duplicate rule ids in ${ids.join(', ')}`);

export function ruleIds(): string[] {
  return [...ids];
}

/** Fails on an id that is not a rule (a typo would otherwise switch nothing off). */
export function checkRuleIds(list: readonly string[], where: string): void {
  const unknown = list.filter((id) => !ids.includes(id));
  if (unknown.length) throw new Error(`strict layer: unknown rule id(s) in ${where}: ${unknown.join(', ')}. Known: ${ids.join(', ')}`);
}
