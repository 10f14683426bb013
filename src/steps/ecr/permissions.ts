import type { PolicyContext } from '../../security/policy-context.js';
import { ownRepositories, unscoped, type Statement } from '../../security/statements.js';

/** One repository per service ecs-kit builds, with scan on push, tag mutability and a lifecycle policy. */
export function ecrPermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped(['ecr:DescribeRepositories']),
    ownRepositories(ctx, [
      'ecr:CreateRepository',
      'ecr:DeleteRepository',
      'ecr:GetLifecyclePolicy',
      'ecr:PutLifecyclePolicy',
      'ecr:PutImageScanningConfiguration',
      'ecr:PutImageTagMutability',
      'ecr:ListTagsForResource',
      'ecr:TagResource',
    ]),
  ];
}
