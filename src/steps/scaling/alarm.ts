import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  type MetricAlarm,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
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
  const cw = ctx.aws.cloudwatch();
  const alarm = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }))).MetricAlarms?.find(
    (a) => a.AlarmName === name,
  );
  if (!alarm) return undefined;
  const tags = (await cw.send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }))).Tags;
  if (!isOwnedBy(tags, ctx.owner)) throw notOwnedError('alarm.not-owned', `A CloudWatch alarm named ${name}`, ctx.owner);
  return alarm;
}

/** The fields of the alarm that differ (its action ARN only when the policy already exists and so is known). */
export function alarmChanges(alarm: MetricAlarm | undefined, want: PutMetricAlarmCommandInput): Change[] {
  if (!alarm) return [{ field: 'backlogAlarm', after: `${want.AlarmName} (${want.MetricName} of ${want.Dimensions?.[0]?.Value})` }];
  const pick = (a: Partial<MetricAlarm & PutMetricAlarmCommandInput>) => ({
    metric: `${a.Namespace}/${a.MetricName}`,
    dimensions: (a.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).sort(),
    statistic: a.Statistic,
    period: a.Period,
    evaluationPeriods: a.EvaluationPeriods,
    threshold: a.Threshold,
    comparison: a.ComparisonOperator,
    actions: [...(a.AlarmActions ?? [])].sort(),
  });
  const a = pick(alarm);
  const w = pick(want);
  return (Object.keys(w) as (keyof typeof w)[])
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(w[k]))
    .map((k) => ({ field: `backlogAlarm.${k}`, before: a[k], after: w[k] }));
}

/** PutMetricAlarm creates or replaces; tags go with the first one. */
export async function putAlarm(ctx: Ctx, want: PutMetricAlarmCommandInput, first: boolean): Promise<void> {
  await ctx.aws.cloudwatch().send(new PutMetricAlarmCommand({ ...want, ...(first ? { Tags: ownerTags(ctx.owner) } : {}) }));
}

export async function deleteAlarm(ctx: Ctx, name: string): Promise<void> {
  let alarm: MetricAlarm | undefined;
  try {
    alarm = await findAlarm(ctx, name);
  } catch {
    warnLeftInPlace(ctx, `CloudWatch alarm ${name}`);
    return;
  }
  if (alarm) await ctx.aws.cloudwatch().send(new DeleteAlarmsCommand({ AlarmNames: [name] }));
}
