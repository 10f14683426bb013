import type { PolicyContext } from '../../security/policy-context.js';
import type { Statement } from '../../security/statements.js';

/** The SQS queue ARNs of this app/env (queue workers' queues and dead-letter queues, the scheduler's dead-letter queue). */
export function ownQueueArns(ctx: PolicyContext): string {
  return ctx.arn('sqs', `${ctx.names.prefix}-*`);
}

/** A queue and a dead-letter queue per queue worker, created encrypted and tagged, deleted on teardown (src/aws/sqs.ts). */
export function queuePermissions(ctx: PolicyContext): Statement[] {
  return [
    {
      Sid: 'OwnQueues',
      Effect: 'Allow',
      Action: [
        'sqs:GetQueueUrl',
        'sqs:GetQueueAttributes',
        'sqs:ListQueueTags',
        'sqs:CreateQueue',
        'sqs:TagQueue',
        'sqs:SetQueueAttributes',
        'sqs:DeleteQueue',
      ],
      Resource: ownQueueArns(ctx),
    },
  ];
}
