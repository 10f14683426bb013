import { PutMetricAlarmCommand, type MetricAlarm, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { alarmDifferences, deleteOwnedAlarms, describeAlarms, isOwnedAlarm } from '../../aws/cloudwatch-alarms.js';
import { notOwnedError } from '../../aws/ownership.js';
import { ownerTags } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';

/*
 * The CloudWatch alarm that drives a queue worker's backlog policy: the queue's ApproximateNumberOfMessagesVisible
 * (maximum over a minute), always "in alarm" (threshold 0, ≥), so the step policy picks the task count from the value.
 */

type Ctx = Pick<StepContext, 'aws' | 'owner' | 'warn'>;

export function backlogAlarm(name: string, queueName: string, policyArn: string): PutMetricAlarmCommandInput {
  return {
    AlarmName: name,
    AlarmDescription: `ecs-kit: scales the service on the backlog of ${queueName}`,
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: queueName }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    // SQS stops reporting a queue that saw no message for 6 hours: keep the last count rather than guess.
    TreatMissingData: 'ignore',
    AlarmActions: [policyArn],
  };
}

/** The alarm of that name, if it exists and is ours. */
export async function findAlarm(ctx: Ctx, name: string): Promise<MetricAlarm | undefined> {
  const [alarm] = await describeAlarms(ctx, [name]);
  if (!alarm) return undefined;
  if (!(await isOwnedAlarm(ctx, alarm))) throw notOwnedError('alarm.not-owned', `A CloudWatch alarm named ${name}`, ctx.owner);
  return alarm;
}

/** The fields of the alarm that differ (its action ARN only when the policy already exists and so is known). */
export function alarmChanges(alarm: MetricAlarm | undefined, want: PutMetricAlarmCommandInput): Change[] {
  if (!alarm) return [{ field: 'backlogAlarm', after: `${want.AlarmName} (${want.MetricName} of ${want.Dimensions?.[0]?.Value})` }];
  return alarmDifferences(alarm, want).map((d) => ({ field: `backlogAlarm.${d.key}`, before: d.before, after: d.after }));
}

/** PutMetricAlarm creates or replaces; tags go with the first one. */
export async function putAlarm(ctx: Ctx, want: PutMetricAlarmCommandInput, first: boolean): Promise<void> {
  await ctx.aws.cloudwatch().send(new PutMetricAlarmCommand({ ...want, ...(first ? { Tags: ownerTags(ctx.owner) } : {}) }));
}

export async function deleteAlarm(ctx: Ctx, name: string): Promise<void> {
  await deleteOwnedAlarms(ctx, [name]);
}
