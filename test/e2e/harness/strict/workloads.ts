import { refuse, str, type AwsRequest, type Rule } from './types.js';

/*
 * What AWS validates and moto does not for the services scheduled jobs and queue workers use (EventBridge Scheduler,
 * SQS). Written from the API references, not from ecs-kit's code: the layer must not trust the product. Error texts
 * not on record are marked unconfirmed.
 */

const is = (req: AwsRequest, service: string, ...operations: string[]) => req.service === service && operations.includes(req.operation);

/** Scheduler ScheduleExpression: at(yyyy-mm-ddThh:mm:ss), rate(value unit), cron(6 fields, one of day-of-month/-week "?"). */
function expressionOk(e: string): boolean {
  if (/^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$/.test(e)) return true;
  const rate = /^rate\(([1-9]\d*) (minute|minutes|hour|hours|day|days)\)$/.exec(e);
  if (rate) return true;
  const cron = /^cron\(([^)]*)\)$/.exec(e);
  if (!cron) return false;
  const f = cron[1]!.trim().split(/\s+/);
  if (f.length !== 6) return false;
  const [min, hour, dom, , dow] = f;
  const inRange = (v: string, lo: number, hi: number) =>
    v === '*' || v.split(',').every((p) => p.split(/[-/]/).every((n) => n === '*' || (/^\d+$/.test(n) && +n >= lo && +n <= hi)));
  return inRange(min!, 0, 59) && inRange(hour!, 0, 23) && (dom === '?') !== (dow === '?');
}

const scheduleExpression: Rule = {
  id: 'scheduler.schedule-expression',
  description: 'Scheduler ScheduleExpression: at(…), rate(n unit) or a 6-field cron(…) with one of day-of-month/day-of-week "?"',
  // Scheduler API reference, CreateSchedule ScheduleExpression; the error text is unconfirmed.
  source: 'https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html',
  check(req) {
    if (!is(req, 'scheduler', 'CreateSchedule', 'UpdateSchedule')) return undefined;
    const e = str(req.json.ScheduleExpression) ?? '';
    return expressionOk(e) ? undefined : refuse('ValidationException', `Invalid Schedule Expression ${e}.`);
  },
};

const scheduleNames: Rule = {
  id: 'scheduler.name',
  description: 'Scheduler schedule and group names: 1-64 of [0-9a-zA-Z-_.]; a schedule needs its target role and ECS network settings',
  // Scheduler API reference, CreateSchedule / CreateScheduleGroup Name, Target.RoleArn (required).
  source: 'https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html',
  check(req) {
    if (!is(req, 'scheduler', 'CreateSchedule', 'UpdateSchedule', 'CreateScheduleGroup')) return undefined;
    const name = str(req.json.Name) ?? '';
    if (!/^[0-9a-zA-Z\-_.]{1,64}$/.test(name))
      return refuse(
        'ValidationException',
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$`,
      );
    const group = str(req.json.GroupName);
    if (group !== undefined && !/^[0-9a-zA-Z\-_.]{1,64}$/.test(group)) return refuse('ValidationException', `Invalid GroupName ${group}.`);
    if (req.operation === 'CreateScheduleGroup') return undefined;
    const target = (req.json.Target ?? {}) as Record<string, unknown>;
    if (!str(target.RoleArn) || !str(target.Arn)) return refuse('ValidationException', 'Target Arn and RoleArn are required.');
    return undefined;
  },
};

const queueName: Rule = {
  id: 'sqs.queue-name',
  description: 'SQS QueueName: 1-80 alphanumerics, hyphens or underscores (.fifo for FIFO queues)',
  // SQS API reference, CreateQueue QueueName; the text is the constraint as the reference words it.
  source: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html',
  check(req) {
    if (!is(req, 'sqs', 'CreateQueue')) return undefined;
    const name = str(req.json.QueueName) ?? '';
    if (/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name) && name.length <= 80) return undefined;
    return refuse(
      'InvalidParameterValue',
      `Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length (QueueName ${name}).`,
    );
  },
};

export const WORKLOAD_RULES: Rule[] = [scheduleExpression, scheduleNames, queueName];
