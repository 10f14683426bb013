import {
  CreateScheduleGroupCommand,
  DeleteScheduleGroupCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-scheduler';
import { isAwsError } from '../../aws/errors.js';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { ENCRYPTED, attributeChanges, deleteQueue, ensureQueue, findQueue, type ExistingQueue } from '../../aws/sqs.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import { hasScheduledJobs } from '../../config/services.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { scheduleGroupPermissions } from './permissions.js';

/**
 * The app/env's EventBridge Scheduler schedule group (schedules carry no tags of their own: the group's tags say whose
 * they are) and the dead-letter queue every job's schedule sends the invocations it could not deliver to.
 */
export interface ScheduleGroupState {
  groupName: string;
  groupArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

interface GroupPlanData {
  groupArn?: string;
  deadLetterQueue?: ExistingQueue;
}

/** Failed invocations stay 14 days, as long as SQS keeps a message. */
const DLQ_ATTRIBUTES = { ...ENCRYPTED, MessageRetentionPeriod: '1209600' };

/** The group if it exists (and is ours: another app's group of that name is an error). */
export async function findScheduleGroup(ctx: Pick<StepContext, 'aws' | 'owner'>, name: string): Promise<string | undefined> {
  const scheduler = ctx.aws.scheduler();
  try {
    const group = await scheduler.send(new GetScheduleGroupCommand({ Name: name }));
    if (!group.Arn || group.State === 'DELETING') return undefined;
    const tags = (await scheduler.send(new ListTagsForResourceCommand({ ResourceArn: group.Arn }))).Tags;
    if (!isOwnedBy(tags, ctx.owner))
      throw notOwnedError('schedule.not-owned', `An EventBridge Scheduler schedule group named ${name}`, ctx.owner);
    return group.Arn;
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
    throw err;
  }
}

export const scheduleGroupStep: StepModule<ScheduleGroupState, GroupPlanData> = {
  kind: 'schedule-group',
  title: () => 'Schedule group',
  resourceKinds: ['scheduler:schedule-group', 'sqs:queue'],
  permissions: scheduleGroupPermissions,
  instances: (config) => (hasScheduledJobs(config) ? [{ dependsOn: [] }] : []),

  async plan(ctx): Promise<StepPlan<ScheduleGroupState, GroupPlanData>> {
    const name = ctx.names.scheduleGroup;
    const dlqName = ctx.names.schedulerDeadLetterQueue;
    const groupArn = await findScheduleGroup(ctx, name);
    const dlq = await findQueue(ctx, dlqName);
    const data: GroupPlanData = { ...(groupArn ? { groupArn } : {}), ...(dlq ? { deadLetterQueue: dlq } : {}) };
    const changes: Change[] = [];
    if (!groupArn) changes.push({ field: 'scheduleGroup', after: name });
    if (!dlq) changes.push({ field: 'deadLetterQueue', after: `${dlqName} (invocations the scheduler could not deliver)` });
    if (!groupArn && !dlq) return { action: 'create', changes, data };
    if (dlq) changes.push(...attributeChanges('deadLetterQueue', dlq.attributes, DLQ_ATTRIBUTES));
    const current = groupArn && dlq ? { groupName: name, groupArn, deadLetterQueueUrl: dlq.url, deadLetterQueueArn: dlq.arn } : undefined;
    return { action: changes.length ? 'update' : 'noop', changes, data, ...(current ? { current } : {}) };
  },

  async apply(ctx, plan): Promise<ScheduleGroupState> {
    const name = ctx.names.scheduleGroup;
    let groupArn = plan.data?.groupArn;
    if (!groupArn) {
      ctx.progress(`creating schedule group ${name}`);
      try {
        // The name is unique: a create retried after a lost response gets ConflictException and adopts the group. No fixed
        // ClientToken, which could answer a create after a teardown from Scheduler's idempotency cache without creating.
        const out = await ctx.aws.scheduler().send(new CreateScheduleGroupCommand({ Name: name, Tags: ownerTags(ctx.owner) }));
        groupArn = out.ScheduleGroupArn ?? '';
      } catch (err) {
        if (!isAwsError(err, 'ConflictException')) throw err;
        groupArn = (await findScheduleGroup(ctx, name)) ?? '';
      }
    }
    const dlq = await ensureQueue(ctx, ctx.names.schedulerDeadLetterQueue, DLQ_ATTRIBUTES, plan.data?.deadLetterQueue);
    return { groupName: name, groupArn, deadLetterQueueUrl: dlq.url, deadLetterQueueArn: dlq.arn };
  },

  async destroy(ctx, state): Promise<void> {
    const scheduler = ctx.aws.scheduler();
    try {
      const group = await scheduler.send(new GetScheduleGroupCommand({ Name: state.groupName }));
      const tags = group.Arn ? (await scheduler.send(new ListTagsForResourceCommand({ ResourceArn: group.Arn }))).Tags : undefined;
      if (!isOwnedBy(tags, ctx.owner)) warnLeftInPlace(ctx, `schedule group ${state.groupName}`);
      // Deleting a group deletes the schedules left in it (Scheduler API reference, DeleteScheduleGroup).
      else if (group.State !== 'DELETING') await scheduler.send(new DeleteScheduleGroupCommand({ Name: state.groupName }));
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    }
    await deleteQueue(ctx, ctx.names.schedulerDeadLetterQueue);
  },
};
