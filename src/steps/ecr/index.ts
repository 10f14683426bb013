import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type Repository,
} from '@aws-sdk/client-ecr';
import { isAwsError } from '../../aws/errors.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import type { Change, StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { buildsImage } from '../image/builds.js';
import { samePolicy } from '../roles/policy.js';
import { ecrPermissions } from './permissions.js';

export interface RepositoryState {
  repositoryName: string;
  repositoryUri: string;
  repositoryArn: string;
}

type Ctx = StepContext<RepositoryState>;

/** Expire everything but the newest `keep` images, so the repository does not grow forever. */
export function lifecyclePolicy(keep: number): Record<string, unknown> {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Keep only the last ${keep} images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
        action: { type: 'expire' },
      },
    ],
  };
}

function sameJson(actualText: string | undefined, wanted: unknown): boolean {
  if (!actualText) return false;
  try {
    return samePolicy(JSON.parse(actualText), wanted);
  } catch {
    return false;
  }
}

async function describe(ctx: Ctx, name: string): Promise<Repository | undefined> {
  try {
    const out = await ctx.aws.ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return out.repositories?.find((r) => r.repositoryName === name);
  } catch (err) {
    if (isAwsError(err, 'RepositoryNotFoundException')) return undefined;
    throw err;
  }
}

async function ownedByUs(ctx: Ctx, repo: Repository): Promise<boolean> {
  const out = await ctx.aws.ecr().send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
  return isOwnedBy(out.tags, ctx.owner);
}

async function lifecycleText(ctx: Ctx, name: string): Promise<string | undefined> {
  try {
    return (await ctx.aws.ecr().send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText;
  } catch (err) {
    if (isAwsError(err, 'LifecyclePolicyNotFoundException')) return undefined;
    throw err;
  }
}

/**
 * IMMUTABLE is safe with ecs-kit: the image step tags by content (sha-…), so a re-push of
 * the same build reuses its tag and a new build gets a new one; nothing is ever overwritten.
 */
const tagMutability = (ctx: Ctx): 'MUTABLE' | 'IMMUTABLE' => ctx.config?.ecr.imageTagMutability ?? 'MUTABLE';

function stateOf(repo: Repository, name: string): RepositoryState {
  return { repositoryName: repo.repositoryName ?? name, repositoryUri: repo.repositoryUri ?? '', repositoryArn: repo.repositoryArn ?? '' };
}

/** Which settings of an existing repository to put right (all of them on create). */
interface EcrPlanData {
  scanOnPush: boolean;
  mutability: boolean;
  lifecycle: boolean;
}

export const ecrStep: StepModule<RepositoryState, EcrPlanData> = {
  kind: 'ecr',
  title: (scope) => `ECR repository (${scope})`,
  resourceKinds: ['ecr:repository'],
  permissions: ecrPermissions,
  // Only services ecs-kit builds need a repository; `image:` services pull from elsewhere.
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => buildsImage(svc))
      .map(([scope]) => ({ scope, dependsOn: [] })),

  async plan(ctx): Promise<StepPlan<RepositoryState, EcrPlanData>> {
    const name = ctx.names.repository(ctx.scope!);
    const keep = ctx.config?.ecr.keepImages ?? 10;
    const mutability = tagMutability(ctx);
    const repo = await describe(ctx, name);
    if (!repo) {
      return {
        action: 'create',
        changes: [
          { field: 'repository', after: name },
          { field: 'imageTagMutability', after: mutability },
          { field: 'lifecyclePolicy', after: `keep last ${keep} images` },
        ],
        data: { scanOnPush: true, mutability: true, lifecycle: true },
      };
    }
    if (!(await ownedByUs(ctx, repo))) {
      throw new EcsKitError(
        'ecr.not-owned',
        `An ECR repository named ${name} already exists and was not created by ecs-kit for ${ctx.owner.app}/${ctx.owner.env}.`,
        {
          why: 'ecs-kit only manages resources it created, so it will not adopt or push to this repository.',
          fix: 'Choose another app name or --env, or delete that repository yourself.',
        },
      );
    }
    const changes: Change[] = [];
    const data: EcrPlanData = { scanOnPush: false, mutability: false, lifecycle: false };
    const scan = repo.imageScanningConfiguration?.scanOnPush;
    if (scan !== undefined && scan !== true) {
      data.scanOnPush = true;
      changes.push({ field: 'scanOnPush', before: scan, after: true });
    }
    if (repo.imageTagMutability !== undefined && repo.imageTagMutability !== mutability) {
      data.mutability = true;
      changes.push({ field: 'imageTagMutability', before: repo.imageTagMutability, after: mutability });
    }
    const text = await lifecycleText(ctx, name);
    if (!sameJson(text, lifecyclePolicy(keep))) {
      data.lifecycle = true;
      changes.push({ field: 'lifecyclePolicy', before: text ?? null, after: `keep last ${keep} images` });
    }
    return { action: changes.length ? 'update' : 'noop', changes, current: stateOf(repo, name), data };
  },

  async apply(ctx, plan): Promise<RepositoryState> {
    const ecr = ctx.aws.ecr();
    const name = ctx.names.repository(ctx.scope!);
    // ECR plans always carry their data.
    const data = plan.data!;
    let state = plan.current;
    if (plan.action === 'create') {
      try {
        const out = await ecr.send(
          new CreateRepositoryCommand({
            repositoryName: name,
            imageScanningConfiguration: { scanOnPush: true },
            imageTagMutability: tagMutability(ctx),
            tags: ownerTags(ctx.owner),
          }),
        );
        state = stateOf(out.repository ?? {}, name);
      } catch (err) {
        // A retried create after a lost response: take it only if the tags say it is ours.
        if (!isAwsError(err, 'RepositoryAlreadyExistsException')) throw err;
        const repo = await describe(ctx, name);
        if (!repo || !(await ownedByUs(ctx, repo))) throw err;
        state = stateOf(repo, name);
      }
    } else {
      if (data.scanOnPush)
        await ecr.send(
          new PutImageScanningConfigurationCommand({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } }),
        );
      if (data.mutability)
        await ecr.send(new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: tagMutability(ctx) }));
    }
    if (data.lifecycle) {
      await ecr.send(
        new PutLifecyclePolicyCommand({
          repositoryName: name,
          lifecyclePolicyText: JSON.stringify(lifecyclePolicy(ctx.config?.ecr.keepImages ?? 10)),
        }),
      );
    }
    return state!;
  },

  async destroy(ctx, state): Promise<void> {
    const repo = await describe(ctx, state.repositoryName);
    if (!repo) return;
    if (!(await ownedByUs(ctx, repo))) {
      warnLeftInPlace(ctx, `ECR repository ${state.repositoryName}`);
      return;
    }
    try {
      // force: every image in it was pushed by ecs-kit for this app/env.
      await ctx.aws.ecr().send(new DeleteRepositoryCommand({ repositoryName: state.repositoryName, force: true }));
    } catch (err) {
      if (!isAwsError(err, 'RepositoryNotFoundException')) throw err;
    }
  },
};
