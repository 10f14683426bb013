import { STEP_MODULES } from '../steps/index.js';
import { bootstrapPermissions } from './bootstrap-permissions.js';
import { commandPermissions } from './command-permissions.js';
import { keptGrants } from './kept-grants.js';
import { statePermissions } from './state-permissions.js';
import { policyContext, type DeployerPolicyInput } from './policy-context.js';
import { mergeStatements, type DeployerPolicyDocument } from './policy-document.js';

/**
 * The IAM policy a person or CI role needs to run ecs-kit (deploy, teardown, secret set, day-2 commands) for one
 * config and environment: what each step of this config declares (`permissions` on its module, in
 * src/steps/<kind>/permissions.ts), what the commands need (command-permissions.ts) and the grants every config has
 * carried (kept-grants.ts), merged into as few statements as grant exactly the same. Everything ecs-kit names is
 * scoped to this app/env's ARNs; actions AWS cannot scope to a resource are on "*", and EC2 changes to existing
 * resources are limited to those carrying this app's ecs-kit tag.
 *
 * The document can exceed the 6,144 characters of one managed policy (a typical config's is about 7,000);
 * splitPolicy() cuts it into documents that fit, to attach side by side.
 */
/** What the one-time setup (state init, ci-role, teardown --delete-bucket) needs; an administrator runs those. */
export function bootstrapPolicy(o: DeployerPolicyInput): DeployerPolicyDocument {
  return { Version: '2012-10-17', Statement: mergeStatements(bootstrapPermissions(policyContext(o))) };
}

export function deployerPolicy(o: DeployerPolicyInput): DeployerPolicyDocument {
  const ctx = policyContext(o);
  const steps = STEP_MODULES.filter((module) => module.instances(o.config).length > 0).flatMap((module) => module.permissions?.(ctx) ?? []);
  return {
    Version: '2012-10-17',
    Statement: mergeStatements([...steps, ...commandPermissions(ctx), ...statePermissions(ctx), ...keptGrants(ctx)]),
  };
}
