import {
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { isAwsError } from '../../aws/errors.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { capacityProviderName, capacityStrategyFor } from '../../capacity/strategy.js';
import { isScheduled } from '../../config/services.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { clusterStep } from '../cluster/index.js';
import { ec2CapacityStep } from '../ec2-capacity/index.js';
import { networkStep, taskPlacement } from '../network/index.js';
import { findScheduleGroup, scheduleGroupStep } from '../schedule-group/index.js';
import { schedulerRoleStep } from '../scheduler-role/index.js';
import { securityGroupStep } from '../security-group/index.js';
import { taskDefinitionStep } from '../task-definition/index.js';
import { schedulePermissions } from './permissions.js';

/** A scheduled job's EventBridge Scheduler schedule: it runs the job's task definition on the cluster. */
export interface ScheduleState {
  groupName: string;
  scheduleName: string;
  scheduleArn: string;
  taskDefinitionArn: string;
}

type Ctx = StepContext<ScheduleState>;

/**
 * Retries and dead letters by default: a failed RunTask (e.g. no capacity) is retried up to 3 times within an hour,
 * then the invocation goes to the dead-letter queue instead of being dropped (Scheduler User Guide, "Configuring a
 * retry policy" and "Configuring a dead-letter queue").
 */
export const RETRY_POLICY = { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } as const;

/** The CreateSchedule/UpdateSchedule request (Update takes the same full definition). */
function wanted(ctx: Ctx): CreateScheduleCommandInput {
  const svc = ctx.service;
  const job = ctx.scope;
  if (!svc?.schedule || !job) throw new EcsKitError('engine.step', `Step ${ctx.id} runs only for scheduled jobs.`);
  const cluster = ctx.dep(clusterStep);
  const placement = taskPlacement(ctx.dep(networkStep));
  const taskDefinitionArn = ctx.dep(taskDefinitionStep, job).taskDefinitionArn;
  const sg = ctx.dep(securityGroupStep, job);
  const group = ctx.dep(scheduleGroupStep);
  const role = ctx.dep(schedulerRoleStep, job);
  const ec2 = svc.capacity === 'ec2';
  const strategy = capacityStrategyFor(svc, capacityProviderName(ctx.names)) ?? [{ capacityProvider: 'FARGATE', weight: 1 }];
  const bridge = ec2 && svc.networkMode === 'bridge';
  return {
    Name: ctx.names.schedule(job),
    GroupName: group.groupName,
    ScheduleExpression: svc.schedule,
    ScheduleExpressionTimezone: svc.timezone ?? 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Description: `ecs-kit: scheduled job ${job} of ${ctx.owner.app}/${ctx.owner.env}`,
    Target: {
      Arn: cluster.clusterArn,
      RoleArn: role.roleArn,
      RetryPolicy: { ...RETRY_POLICY },
      DeadLetterConfig: { Arn: group.deadLetterQueueArn },
      EcsParameters: {
        TaskDefinitionArn: taskDefinitionArn,
        TaskCount: 1,
        CapacityProviderStrategy: strategy.map((s) => ({
          capacityProvider: s.capacityProvider!,
          weight: s.weight,
          ...(s.base ? { base: s.base } : {}),
        })),
        ...(ec2 ? {} : { PlatformVersion: 'LATEST' }),
        ...(bridge
          ? {}
          : {
              NetworkConfiguration: {
                awsvpcConfiguration: {
                  Subnets: placement.subnets,
                  SecurityGroups: [sg.groupId],
                  AssignPublicIp: ec2 ? 'DISABLED' : placement.assignPublicIp,
                },
              },
            }),
      },
    },
  };
}

/** What a schedule says, reduced to what ecs-kit sets, so one as created compares equal to the request. */
function comparable(
  s: Partial<Pick<CreateScheduleCommandInput, 'ScheduleExpression' | 'ScheduleExpressionTimezone' | 'State' | 'Target'>>,
) {
  const t = s.Target;
  const e = t?.EcsParameters;
  const vpc = e?.NetworkConfiguration?.awsvpcConfiguration;
  return {
    expression: s.ScheduleExpression,
    timezone: s.ScheduleExpressionTimezone ?? 'UTC',
    state: s.State ?? 'ENABLED',
    cluster: t?.Arn,
    role: t?.RoleArn,
    retryPolicy: t?.RetryPolicy
      ? { MaximumRetryAttempts: t.RetryPolicy.MaximumRetryAttempts, MaximumEventAgeInSeconds: t.RetryPolicy.MaximumEventAgeInSeconds }
      : undefined,
    deadLetter: t?.DeadLetterConfig?.Arn,
    taskDefinition: e?.TaskDefinitionArn,
    taskCount: e?.TaskCount ?? 1,
    capacity: (e?.CapacityProviderStrategy ?? []).map((c) => `${c.capacityProvider}:${c.weight ?? 0}:${c.base ?? 0}`).sort(),
    subnets: [...(vpc?.Subnets ?? [])].sort(),
    securityGroups: [...(vpc?.SecurityGroups ?? [])].sort(),
    assignPublicIp: vpc?.AssignPublicIp,
  };
}

function changesOf(actual: GetScheduleCommandOutput, want: CreateScheduleCommandInput): Change[] {
  const a = comparable(actual);
  const w = comparable(want);
  return (Object.keys(w) as (keyof typeof w)[])
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(w[k]))
    .map((k) => ({ field: k, before: a[k], after: w[k] }));
}

async function getSchedule(ctx: Ctx, group: string, name: string): Promise<GetScheduleCommandOutput | undefined> {
  try {
    return await ctx.aws.scheduler().send(new GetScheduleCommand({ GroupName: group, Name: name }));
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

export const scheduleStep: StepModule<ScheduleState, never> = {
  kind: 'schedule',
  title: (scope) => `Schedule (${scope})`,
  resourceKinds: ['scheduler:schedule'],
  permissions: schedulePermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => isScheduled(svc))
      .map(([name, svc]) => ({
        scope: name,
        dependsOn: [
          after(clusterStep),
          after(networkStep),
          after(taskDefinitionStep, name),
          after(securityGroupStep, name),
          after(scheduleGroupStep),
          after(schedulerRoleStep, name),
          ...(svc.capacity === 'ec2' ? [after(ec2CapacityStep)] : []),
        ],
      })),

  async plan(ctx): Promise<StepPlan<ScheduleState, never>> {
    const want = wanted(ctx);
    const actual = await getSchedule(ctx, want.GroupName!, want.Name!);
    const taskDefinitionArn = want.Target!.EcsParameters!.TaskDefinitionArn!;
    if (!actual)
      return {
        action: 'create',
        changes: [{ field: 'schedule', after: `${want.ScheduleExpression} (${want.ScheduleExpressionTimezone})` }],
      };
    const changes = changesOf(actual, want);
    const current = { groupName: want.GroupName!, scheduleName: want.Name!, scheduleArn: actual.Arn ?? '', taskDefinitionArn };
    return { action: changes.length ? 'update' : 'noop', changes, current };
  },

  async apply(ctx, plan): Promise<ScheduleState> {
    const want = wanted(ctx);
    const scheduler = ctx.aws.scheduler();
    let arn: string | undefined;
    if (plan.action === 'create') {
      ctx.progress(`scheduling ${ctx.scope} at ${want.ScheduleExpression}`);
      // No ClientToken of ours: a schedule's name is unique in its group, so a create retried after a lost response gets
      // ConflictException and becomes an update; a token derived from the request would, within Scheduler's idempotency
      // window, answer a create after a teardown (or an update back to an earlier definition) without doing it.
      try {
        arn = (await scheduler.send(new CreateScheduleCommand(want))).ScheduleArn;
      } catch (err) {
        // Created by a run whose response was lost (or a moment ago): make it what the config says.
        if (!isAwsError(err, 'ConflictException')) throw err;
      }
    }
    if (!arn) {
      ctx.progress(`updating the schedule of ${ctx.scope}: ${plan.changes.map((c) => c.field).join(', ')}`);
      arn = (await scheduler.send(new UpdateScheduleCommand(want))).ScheduleArn;
    }
    return {
      groupName: want.GroupName!,
      scheduleName: want.Name!,
      scheduleArn: arn ?? '',
      taskDefinitionArn: want.Target!.EcsParameters!.TaskDefinitionArn!,
    };
  },

  async destroy(ctx, state): Promise<void> {
    // Schedules have no tags: the group's say whose they are.
    let owned: boolean;
    try {
      owned = (await findScheduleGroup(ctx, state.groupName)) !== undefined;
    } catch (err) {
      if (!(err instanceof EcsKitError) || err.code !== 'schedule.not-owned') throw err;
      warnLeftInPlace(ctx, `schedule ${state.scheduleName}`, "its group's");
      return;
    }
    if (!owned) return;
    try {
      await ctx.aws.scheduler().send(new DeleteScheduleCommand({ GroupName: state.groupName, Name: state.scheduleName }));
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    }
  },
};
