import { ecrPermissions } from '../steps/ecr/permissions.js';
import { imageReads } from '../steps/image/permissions.js';
import { loadBalancerReads } from '../steps/load-balancer/permissions.js';
import { scalingReads } from '../steps/scaling/permissions.js';
import { parameterPermissions } from '../steps/secrets/permissions.js';
import { targetGroupReads } from '../steps/target-group/permissions.js';
import type { PolicyContext } from './policy-context.js';
import { ownEcs, serviceLinkedRoles, unscoped, type Statement } from './statements.js';

/**
 * Grants the hand-written deployer policy gave every config, kept so the assembled policy means exactly what it meant
 * (test/unit/security/policy-equivalence.test.ts). Each is narrower to drop than to keep, and dropping one is a
 * behaviour change to make on purpose, not in passing.
 */
export function keptGrants(ctx: PolicyContext): Statement[] {
  return [...stepGrantsForEveryConfig(ctx), ...grantsWithoutCaller(ctx)];
}

/**
 * Statements of steps a config may have no instance of. The ECR repository and SSM parameter management let deploy
 * prune (and teardown delete) a repository or parameter an earlier config of the environment created; the reads and
 * the service-linked roles came from the first policy's static lists.
 */
function stepGrantsForEveryConfig(ctx: PolicyContext): Statement[] {
  return [
    ...ecrPermissions(ctx),
    ...imageReads(ctx),
    ...parameterPermissions(ctx),
    ...loadBalancerReads(),
    ...targetGroupReads(),
    ...scalingReads(),
    ...serviceLinkedRoles(ctx, ['ecs', 'elb', 'ecsAutoScaling']),
  ];
}

/** Granted since the first deployer policy though no ecs-kit code calls them today. */
function grantsWithoutCaller(ctx: PolicyContext): Statement[] {
  return [unscoped(['ec2:DescribeNetworkInterfaces', 'ecs:ListServices']), ownEcs(ctx, ['ecs:StopTask'])];
}
