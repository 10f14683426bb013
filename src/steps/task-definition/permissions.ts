import type { PolicyContext } from '../../security/policy-context.js';
import { ownEcs, ownRoleArns, unscoped, type Statement } from '../../security/statements.js';

/**
 * Task definitions: registered (tagged) with the execution and task roles, which passes them to ECS tasks;
 * teardown deregisters and deletes every revision.
 */
export function taskDefinitionPermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped([
      'ecs:DescribeTaskDefinition',
      'ecs:ListTaskDefinitions',
      'ecs:RegisterTaskDefinition',
      'ecs:DeregisterTaskDefinition',
      'ecs:DeleteTaskDefinitions',
    ]),
    ownEcs(ctx, ['ecs:TagResource']),
    {
      Sid: 'PassOwnRolesToEcsTasks',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: ownRoleArns(ctx),
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    },
  ];
}
