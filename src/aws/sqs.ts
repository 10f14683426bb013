import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { StepContext } from '../engine/types.js';
import type { Change } from '../engine/types.js';
import { isAwsError } from './errors.js';
import { notOwnedError, warnLeftInPlace } from './ownership.js';
import { isOwnedBy, tagMap } from './tags.js';

/*
 * SQS queues ecs-kit owns (a queue worker's queue and dead-letter queue, the scheduler's dead-letter queue): found by
 * name, owned when their tags say so, created encrypted (SSE-SQS) and tagged, changed attribute by attribute.
 */

type Ctx = Pick<StepContext, 'aws' | 'owner' | 'warn' | 'progress'>;

export interface QueueRef {
  url: string;
  arn: string;
}

export interface ExistingQueue extends QueueRef {
  attributes: Record<string, string>;
}

/** Queues are encrypted at rest with SQS-managed keys (SqsManagedSseEnabled, SQS Developer Guide "Encryption at rest"). */
export const ENCRYPTED = { SqsManagedSseEnabled: 'true' } as const;

const GONE = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue'];

/** The queue of that name if it exists and is ours; another app's queue of that name is an error. */
export async function findQueue(ctx: Ctx, name: string): Promise<ExistingQueue | undefined> {
  const sqs = ctx.aws.sqs();
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (err) {
    if (isAwsError(err, ...GONE)) return undefined;
    throw err;
  }
  if (!url) return undefined;
  const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags;
  if (!isOwnedBy(tags, ctx.owner)) throw notOwnedError('queue.not-owned', `An SQS queue named ${name}`, ctx.owner);
  const attributes = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  return { url, arn: attributes.QueueArn ?? '', attributes };
}

/**
 * A JSON attribute (RedrivePolicy) in a form that does not depend on key order or on a number written as a string: SQS
 * accepts maxReceiveCount either way and need not answer in the order or the form it was sent.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(String(value));
}

/** The attributes that differ (JSON ones compared parsed), as plan changes named <prefix>.<attribute>. */
export function attributeChanges(prefix: string, actual: Record<string, string>, wanted: Record<string, string>): Change[] {
  const same = (a: string | undefined, b: string) => {
    if (a === b) return true;
    try {
      return canonical(JSON.parse(a ?? 'null')) === canonical(JSON.parse(b));
    } catch {
      return false;
    }
  };
  return Object.entries(wanted)
    .filter(([k, v]) => !same(actual[k], v))
    .map(([k, v]) => ({ field: `${prefix}.${k}`, before: actual[k], after: v }));
}

/** Creates the queue (CreateQueue returns the existing URL when the attributes match) or sets what changed. */
export async function ensureQueue(ctx: Ctx, name: string, wanted: Record<string, string>, existing?: ExistingQueue): Promise<QueueRef> {
  const sqs = ctx.aws.sqs();
  if (existing) {
    const changed = attributeChanges('', existing.attributes, wanted).map((c) => c.field.slice(1));
    if (changed.length) {
      ctx.progress(`updating queue ${name}: ${changed.join(', ')}`);
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: existing.url, Attributes: Object.fromEntries(changed.map((k) => [k, wanted[k]!])) }),
      );
    }
    return { url: existing.url, arn: existing.arn };
  }
  ctx.progress(`creating queue ${name}`);
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: wanted, tags: tagMap(ctx.owner) }))).QueueUrl ?? '';
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn ?? '';
  return { url, arn };
}

/** Deletes the queue of that name when its tags say it is ours; gone counts as deleted. */
export async function deleteQueue(ctx: Ctx, name: string): Promise<void> {
  const sqs = ctx.aws.sqs();
  let url: string | undefined;
  try {
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    if (!url) return;
    const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags;
    if (!isOwnedBy(tags, ctx.owner)) {
      warnLeftInPlace(ctx, `SQS queue ${name}`);
      return;
    }
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  } catch (err) {
    if (!isAwsError(err, ...GONE)) throw err;
  }
}
