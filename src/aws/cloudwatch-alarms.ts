import {
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand,
  type MetricAlarm,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { StepContext } from '../engine/types.js';
import { isAwsError } from './errors.js';
import { warnLeftInPlace } from './ownership.js';
import { isOwnedBy } from './tags.js';

/*
 * CloudWatch metric alarms ecs-kit owns (the rollback alarms of safe rollouts, a queue worker's backlog alarm): read,
 * compare with the PutMetricAlarm input wanted, and delete only those whose tags say they are this app/env's.
 */

type Ctx = Pick<StepContext, 'aws' | 'owner' | 'warn'>;

/** The metric alarms of these names that exist, whoever owns them. */
export async function describeAlarms(ctx: Ctx, names: string[]): Promise<MetricAlarm[]> {
  if (names.length === 0) return [];
  const out = await ctx.aws.cloudwatch().send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm'] }));
  return (out.MetricAlarms ?? []).filter((a) => a.AlarmName && names.includes(a.AlarmName));
}

/** Whether the alarm's tags say it is this app/env's; one deleted meanwhile is not. */
export async function isOwnedAlarm(ctx: Ctx, alarm: MetricAlarm): Promise<boolean> {
  if (!alarm.AlarmArn) return false;
  try {
    const out = await ctx.aws.cloudwatch().send(new ListTagsForResourceCommand({ ResourceARN: alarm.AlarmArn }));
    return isOwnedBy(out.Tags, ctx.owner);
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException', 'ResourceNotFound')) return false;
    throw err;
  }
}

/** Delete the named alarms that are ours (DeleteAlarms ignores ones already gone); the others are left, with a warning. */
export async function deleteOwnedAlarms(ctx: Ctx, names: string[]): Promise<void> {
  const mine: string[] = [];
  for (const alarm of await describeAlarms(ctx, names)) {
    if (await isOwnedAlarm(ctx, alarm)) mine.push(alarm.AlarmName!);
    else warnLeftInPlace(ctx, `CloudWatch alarm ${alarm.AlarmName}`);
  }
  // DeleteAlarms takes up to 100 names.
  if (mine.length) await ctx.aws.cloudwatch().send(new DeleteAlarmsCommand({ AlarmNames: mine }));
}

const COMPARED = [
  'Namespace',
  'MetricName',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
] as const;

export interface AlarmDifference {
  key: string;
  before: unknown;
  after: unknown;
}

/**
 * What differs between an alarm and the PutMetricAlarm input wanted: only fields CloudWatch returned are compared (an
 * answer without a field says nothing about it); dimensions and actions in any order; actions only when some are wanted.
 */
export function alarmDifferences(actual: MetricAlarm, wanted: Omit<PutMetricAlarmCommandInput, 'Tags'>): AlarmDifference[] {
  const out: AlarmDifference[] = [];
  for (const key of COMPARED)
    if (actual[key] !== undefined && actual[key] !== wanted[key]) out.push({ key, before: actual[key], after: wanted[key] });
  const dims = (d: { Name?: string; Value?: string }[] | undefined) => JSON.stringify((d ?? []).map((x) => `${x.Name}=${x.Value}`).sort());
  if (actual.Dimensions && dims(actual.Dimensions) !== dims(wanted.Dimensions))
    out.push({ key: 'Dimensions', before: actual.Dimensions, after: wanted.Dimensions });
  const actions = (a: string[] | undefined) => JSON.stringify([...(a ?? [])].sort());
  if (wanted.AlarmActions && actions(actual.AlarmActions) !== actions(wanted.AlarmActions))
    out.push({ key: 'AlarmActions', before: actual.AlarmActions, after: wanted.AlarmActions });
  return out;
}
