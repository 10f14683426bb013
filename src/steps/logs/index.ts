import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import { isAwsError } from '../../aws/errors.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy, tagMap } from '../../aws/tags.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { logsPermissions } from './permissions.js';

export interface LogsState {
  logGroupName: string;
}

type Ctx = StepContext<LogsState>;

async function findGroup(ctx: Ctx, name: string): Promise<LogGroup | undefined> {
  // Names sort lexicographically, so the exact name is always on the first page of its own prefix.
  const out = await ctx.aws.logs().send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
  return out.logGroups?.find((g) => g.logGroupName === name);
}

/** ListTagsForResource wants the group ARN without the ":*" that DescribeLogGroups appends. */
function groupArn(group: LogGroup): string {
  return group.logGroupArn ?? (group.arn ?? '').replace(/:\*$/, '');
}

async function ownedByUs(ctx: Ctx, group: LogGroup): Promise<boolean> {
  const out = await ctx.aws.logs().send(new ListTagsForResourceCommand({ resourceArn: groupArn(group) }));
  return isOwnedBy(out.tags, ctx.owner);
}

function retention(ctx: Ctx): number {
  return ctx.service?.logRetentionDays ?? 30;
}

export const logsStep: StepModule<LogsState, never> = {
  kind: 'logs',
  title: (scope) => `Log group (${scope})`,
  resourceKinds: ['logs:log-group'],
  permissions: logsPermissions,
  instances: (config) => Object.keys(config.services).map((scope) => ({ scope, dependsOn: [] })),

  async plan(ctx): Promise<StepPlan<LogsState, never>> {
    const name = ctx.names.logGroup(ctx.scope!);
    const group = await findGroup(ctx, name);
    if (!group)
      return {
        action: 'create',
        changes: [
          { field: 'logGroup', after: name },
          { field: 'retentionInDays', after: retention(ctx) },
        ],
      };
    if (!(await ownedByUs(ctx, group))) {
      throw new EcsKitError(
        'logs.not-owned',
        `A CloudWatch log group named ${name} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`,
        {
          why: 'ecs-kit only manages resources it created, so it will not adopt or change this log group.',
          fix: 'Choose another app name or --env, or delete that log group yourself.',
        },
      );
    }
    const changes: Change[] = [];
    // No retentionInDays means "never expire".
    if (group.retentionInDays !== retention(ctx))
      changes.push({ field: 'retentionInDays', before: group.retentionInDays ?? 'never expire', after: retention(ctx) });
    return { action: changes.length ? 'update' : 'noop', changes, current: { logGroupName: name } };
  },

  async apply(ctx, plan): Promise<LogsState> {
    const logs = ctx.aws.logs();
    const name = ctx.names.logGroup(ctx.scope!);
    if (plan.action === 'create') {
      try {
        await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: tagMap(ctx.owner) }));
      } catch (err) {
        // A retried create after a lost response: take it only if the tags say it is ours.
        if (!isAwsError(err, 'ResourceAlreadyExistsException')) throw err;
        const group = await findGroup(ctx, name);
        if (!group || !(await ownedByUs(ctx, group))) throw err;
      }
    }
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: retention(ctx) }));
    return { logGroupName: name };
  },

  async destroy(ctx, state): Promise<void> {
    const group = await findGroup(ctx, state.logGroupName);
    if (!group) return;
    if (!(await ownedByUs(ctx, group))) {
      warnLeftInPlace(ctx, `log group ${state.logGroupName}`);
      return;
    }
    try {
      await ctx.aws.logs().send(new DeleteLogGroupCommand({ logGroupName: state.logGroupName }));
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    }
  },
};
