import { partitionOf } from '../../aws/partition.js';

/**
 * ECS Exec (`services.<name>.exec: true`): what the task role needs (ECS Developer Guide, "Monitor Amazon ECS
 * containers with ECS Exec", IAM permissions required for ECS Exec). The SSM agent ECS puts in the container opens its
 * channels with the four ssmmessages actions (they take no resource); with the cluster's default exec logging
 * (executeCommandConfiguration.logging DEFAULT: the container's awslogs configuration) it writes the session output to
 * the service's own log group, which needs the logs actions on that group.
 */
export function execStatements(logGroup: string, ctx: { region: string; account: string }): Record<string, unknown>[] {
  const group = `arn:${partitionOf(ctx.region)}:logs:${ctx.region}:${ctx.account}:log-group:${logGroup}`;
  return [
    {
      Sid: 'EcsExecChannels',
      Effect: 'Allow',
      Action: [
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ],
      Resource: '*',
    },
    { Sid: 'EcsExecLogGroups', Effect: 'Allow', Action: ['logs:DescribeLogGroups'], Resource: '*' },
    {
      Sid: 'EcsExecAuditLog',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      Resource: [group, `${group}:log-stream:*`],
    },
  ];
}
