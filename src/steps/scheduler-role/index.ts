import { partitionOf } from '../../aws/partition.js';
import { isScheduled } from '../../config/services.js';
import type { Config } from '../../config/schema.js';
import { after, type StepModule } from '../../engine/types.js';
import type { PolicyDocument } from '../../security/refs.js';
import { executionRoleStep, taskRoleStep, type RoleState } from '../roles/index.js';
import { roleStep, type RolePlanData, type RoleSpec } from '../roles/role-step.js';
import { scheduleGroupStep } from '../schedule-group/index.js';
import { schedulerRolePermissions } from './permissions.js';

const jobsOf = (config: Config) =>
  Object.entries(config.services)
    .filter(([, svc]) => isScheduled(svc))
    .map(([name]) => name);

type Ctx = Parameters<RoleSpec['name']>[0];

/**
 * Only EventBridge Scheduler of this account may assume it (aws:SourceAccount against the confused deputy, as the
 * Scheduler User Guide's execution role example does).
 */
export function schedulerTrustPolicy(account: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ],
  };
}

/**
 * What the scheduler may do with a job's role: run that job's task definition (any revision of its family) on this
 * app's cluster only, pass exactly the two roles its tasks use (execution and task role) to ECS, and send undeliverable
 * invocations to the dead-letter queue (Scheduler User Guide, "Set up the execution role" for an ECS target).
 */
function schedulerPolicy(ctx: Ctx): PolicyDocument | undefined {
  const job = ctx.scope;
  if (!job) return undefined;
  const arn = (resource: string) => `arn:${partitionOf(ctx.region)}:ecs:${ctx.region}:${ctx.account}:${resource}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['ecs:RunTask'],
        Resource: [arn(`task-definition/${ctx.names.taskFamily(job)}:*`)],
        Condition: { ArnEquals: { 'ecs:cluster': arn(`cluster/${ctx.names.cluster}`) } },
      },
      {
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [ctx.dep(executionRoleStep).roleArn, ctx.dep(taskRoleStep, job).roleArn],
        Condition: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ctx.dep(scheduleGroupStep).deadLetterQueueArn },
    ],
  };
}

export const schedulerRoleStep: StepModule<RoleState, RolePlanData> = {
  ...roleStep({
    kind: 'scheduler-role',
    title: (scope) => `Scheduler role (${scope})`,
    instances: (config) =>
      jobsOf(config).map((job) => ({
        scope: job,
        dependsOn: [after(executionRoleStep), after(scheduleGroupStep), after(taskRoleStep, job)],
      })),
    name: (ctx) => ctx.names.schedulerRole(ctx.scope!),
    description: (ctx) => `ecs-kit: lets EventBridge Scheduler run the scheduled job ${ctx.scope} of ${ctx.owner.app}/${ctx.owner.env}`,
    policies: () => [],
    inlinePolicy: schedulerPolicy,
    trust: (ctx) => schedulerTrustPolicy(ctx.account),
  }),
  resourceKinds: ['iam:role'],
  permissions: schedulerRolePermissions,
};
