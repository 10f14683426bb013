import { ENCRYPTED, attributeChanges, deleteQueue, ensureQueue, findQueue, type ExistingQueue } from '../../aws/sqs.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { queuePermissions } from './permissions.js';

/** A queue worker's SQS queue and its dead-letter queue; the task definition puts their URLs in QUEUE_URL / DLQ_URL. */
export interface QueueState {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

interface QueuePlanData {
  queue?: ExistingQueue;
  deadLetterQueue?: ExistingQueue;
}

type Ctx = StepContext<QueueState>;

/** A dead-letter queue keeps failed messages as long as SQS allows: 14 days (MessageRetentionPeriod 1,209,600 s). */
const DLQ_ATTRIBUTES = { ...ENCRYPTED, MessageRetentionPeriod: '1209600' };

function settings(ctx: Ctx) {
  const queue = ctx.service?.queue;
  if (!ctx.scope || !queue) throw new EcsKitError('engine.step', `Step ${ctx.id} runs only for services with a queue.`);
  return { name: ctx.names.queue(ctx.scope), dlq: ctx.names.deadLetterQueue(ctx.scope), ...queue };
}

/** The main queue: its visibility timeout, encrypted, and a redrive policy to the dead-letter queue after maxReceives. */
function queueAttributes(ctx: Ctx, deadLetterArn: string): Record<string, string> {
  const s = settings(ctx);
  return {
    ...ENCRYPTED,
    VisibilityTimeout: String(s.visibilityTimeout),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: s.maxReceives }),
  };
}

export const queueStep: StepModule<QueueState, QueuePlanData> = {
  kind: 'queue',
  title: (scope) => `Queue (${scope})`,
  resourceKinds: ['sqs:queue'],
  permissions: queuePermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => svc.queue !== undefined)
      .map(([scope]) => ({ scope, dependsOn: [] })),

  async plan(ctx): Promise<StepPlan<QueueState, QueuePlanData>> {
    const s = settings(ctx);
    const dlq = await findQueue(ctx, s.dlq);
    const queue = await findQueue(ctx, s.name);
    const data = { ...(queue ? { queue } : {}), ...(dlq ? { deadLetterQueue: dlq } : {}) };
    if (!queue && !dlq) {
      const changes: Change[] = [
        { field: 'queue', after: `${s.name} (visibility ${s.visibilityTimeout}s, encrypted)` },
        { field: 'deadLetterQueue', after: `${s.dlq} (after ${s.maxReceives} receives)` },
      ];
      return { action: 'create', changes, data };
    }
    const changes: Change[] = [];
    if (!dlq) changes.push({ field: 'deadLetterQueue', after: s.dlq });
    else changes.push(...attributeChanges('deadLetterQueue', dlq.attributes, DLQ_ATTRIBUTES));
    if (!queue) changes.push({ field: 'queue', after: s.name });
    else changes.push(...attributeChanges('queue', queue.attributes, queueAttributes(ctx, dlq?.arn ?? '')));
    const current =
      queue && dlq ? { queueUrl: queue.url, queueArn: queue.arn, deadLetterQueueUrl: dlq.url, deadLetterQueueArn: dlq.arn } : undefined;
    return { action: changes.length ? 'update' : 'noop', changes, data, ...(current ? { current } : {}) };
  },

  async apply(ctx, plan): Promise<QueueState> {
    const s = settings(ctx);
    // The dead-letter queue first: the main queue's redrive policy names its ARN.
    const dlq = await ensureQueue(ctx, s.dlq, DLQ_ATTRIBUTES, plan.data?.deadLetterQueue);
    const queue = await ensureQueue(ctx, s.name, queueAttributes(ctx, dlq.arn), plan.data?.queue);
    return { queueUrl: queue.url, queueArn: queue.arn, deadLetterQueueUrl: dlq.url, deadLetterQueueArn: dlq.arn };
  },

  async destroy(ctx, state): Promise<void> {
    const name = (url: string) => url.slice(url.lastIndexOf('/') + 1);
    await deleteQueue(ctx, name(state.queueUrl));
    await deleteQueue(ctx, name(state.deadLetterQueueUrl));
  },

  outputs(state) {
    return { [`queue.${state.queueUrl.slice(state.queueUrl.lastIndexOf('/') + 1)}`]: state.queueUrl };
  },
};
