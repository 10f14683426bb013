import type { PolicyContext } from '../../security/policy-context.js';
import { ownRepositories, unscoped, type Statement } from '../../security/statements.js';

/** Whether the built image is already in the repository. */
export function imageReads(ctx: PolicyContext): Statement[] {
  return [ownRepositories(ctx, ['ecr:DescribeImages'])];
}

/** `docker login` (an ECR token) and `docker push` into ecs-kit's own repositories. */
export function imagePermissions(ctx: PolicyContext): Statement[] {
  return [
    ...imageReads(ctx),
    ownRepositories(ctx, [
      'ecr:BatchCheckLayerAvailability',
      'ecr:InitiateLayerUpload',
      'ecr:UploadLayerPart',
      'ecr:CompleteLayerUpload',
      'ecr:PutImage',
      'ecr:BatchGetImage',
    ]),
    unscoped(['ecr:GetAuthorizationToken']),
  ];
}
