import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ecrStep, lifecyclePolicy } from '../../../src/steps/ecr/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const ecr = mockClient(ECRClient);
beforeEach(() => {
  ecr.reset();
  strict(ecr);
});

const BUILD_CONFIG = 'app: shop\nservices: { web: { build: { context: . }, port: 80 }, worker: { image: busybox } }';
const NAME = 'shop/default/web';
const STATE = {
  repositoryName: NAME,
  repositoryUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${NAME}`,
  repositoryArn: `arn:aws:ecr:us-east-1:123456789012:repository/${NAME}`,
};
const repo = (scanOnPush = true, imageTagMutability: 'MUTABLE' | 'IMMUTABLE' = 'MUTABLE') => ({
  repositories: [{ ...STATE, imageScanningConfiguration: { scanOnPush }, imageTagMutability }],
});
const notFound = (name: string) => Object.assign(new Error(name), { name });
const ctxFor = (yaml = BUILD_CONFIG) => stepContext(ecrStep, { config: config(yaml), scope: 'web' });
// As AWS echoes it: other key order, no whitespace changes needed to matter.
const storedPolicy = (keep: number) =>
  JSON.stringify(
    {
      rules: [
        {
          action: { type: 'expire' },
          selection: { countNumber: keep, countType: 'imageCountMoreThan', tagStatus: 'any' },
          description: `Keep only the last ${keep} images`,
          rulePriority: 1,
        },
      ],
    },
    null,
    2,
  );

describe('ecr step', () => {
  it('has one instance per service that builds an image', () => {
    expect(ecrStep.instances(config(BUILD_CONFIG))).toEqual([{ scope: 'web', dependsOn: [] }]);
  });

  it('creates a tagged, scan-on-push repository with a lifecycle policy', async () => {
    ecr.on(DescribeRepositoriesCommand).rejects(notFound('RepositoryNotFoundException'));
    ecr.on(CreateRepositoryCommand).resolves({ repository: STATE });
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    const ctx = ctxFor('app: shop\necr: { keepImages: 5 }\nservices: { web: { build: { context: . }, port: 80 } }');
    const plan = await ecrStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(await ecrStep.apply(ctx, plan)).toEqual(STATE);
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toEqual({
      repositoryName: NAME,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'MUTABLE',
      tags: OWNER_TAGS,
    });
    const put = ecr.commandCalls(PutLifecyclePolicyCommand)[0]!.args[0].input;
    expect(put.repositoryName).toBe(NAME);
    expect(JSON.parse(put.lifecyclePolicyText!)).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'Keep only the last 5 images',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 },
          action: { type: 'expire' },
        },
      ],
    });
  });

  it('plans no change and makes only read calls when the repository matches', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves(repo());
    ecr.on(ListTagsForResourceCommand).resolves({ tags: OWNER_TAGS });
    ecr.on(GetLifecyclePolicyCommand).resolves({ repositoryName: NAME, lifecyclePolicyText: storedPolicy(10) });
    const plan = await ecrStep.plan(ctxFor());
    expect(plan).toMatchObject({ action: 'noop', current: STATE });
    expect(commandNames(ecr)).toEqual(['DescribeRepositories', 'ListTagsForResource', 'GetLifecyclePolicy']);
    expect(ecr.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: STATE.repositoryArn });
  });

  it('turns scanning back on and puts back a missing lifecycle policy', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves(repo(false));
    ecr.on(ListTagsForResourceCommand).resolves({ tags: OWNER_TAGS });
    ecr.on(GetLifecyclePolicyCommand).rejects(notFound('LifecyclePolicyNotFoundException'));
    ecr.on(PutImageScanningConfigurationCommand).resolves({});
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    const ctx = ctxFor();
    const plan = await ecrStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual(['scanOnPush', 'lifecyclePolicy']);
    expect(await ecrStep.apply(ctx, plan)).toEqual(STATE);
    expect(ecr.commandCalls(PutImageScanningConfigurationCommand)[0]!.args[0].input).toEqual({
      repositoryName: NAME,
      imageScanningConfiguration: { scanOnPush: true },
    });
    expect(ecr.commandCalls(PutLifecyclePolicyCommand)).toHaveLength(1);
    expect(ecr.commandCalls(CreateRepositoryCommand)).toHaveLength(0);
  });

  it('updates the lifecycle policy when keepImages changes, and tag mutability when it drifted', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves(repo(true, 'IMMUTABLE'));
    ecr.on(ListTagsForResourceCommand).resolves({ tags: OWNER_TAGS });
    ecr.on(GetLifecyclePolicyCommand).resolves({ lifecyclePolicyText: storedPolicy(10) });
    ecr.on(PutImageTagMutabilityCommand).resolves({});
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    const ctx = ctxFor('app: shop\necr: { keepImages: 3 }\nservices: { web: { build: { context: . }, port: 80 } }');
    const plan = await ecrStep.plan(ctx);
    expect(plan.changes.map((c) => c.field)).toEqual(['imageTagMutability', 'lifecyclePolicy']);
    await ecrStep.apply(ctx, plan);
    expect(JSON.parse(ecr.commandCalls(PutLifecyclePolicyCommand)[0]!.args[0].input.lifecyclePolicyText!)).toEqual(lifecyclePolicy(3));
    expect(ecr.commandCalls(PutImageTagMutabilityCommand)[0]!.args[0].input.imageTagMutability).toBe('MUTABLE');
  });

  describe('ecr.imageTagMutability', () => {
    const IMMUTABLE_CONFIG = 'app: shop\necr: { imageTagMutability: IMMUTABLE }\nservices: { web: { build: { context: . }, port: 80 } }';

    it('creates the repository with IMMUTABLE tags when the config asks for it', async () => {
      ecr.on(DescribeRepositoriesCommand).rejects(notFound('RepositoryNotFoundException'));
      ecr.on(CreateRepositoryCommand).resolves({ repository: STATE });
      ecr.on(PutLifecyclePolicyCommand).resolves({});
      const ctx = ctxFor(IMMUTABLE_CONFIG);
      const plan = await ecrStep.plan(ctx);
      expect(plan.changes).toContainEqual({ field: 'imageTagMutability', after: 'IMMUTABLE' });
      await ecrStep.apply(ctx, plan);
      expect(ecr.commandCalls(CreateRepositoryCommand)[0]!.args[0].input.imageTagMutability).toBe('IMMUTABLE');
    });

    it('switches an existing MUTABLE repository to IMMUTABLE, and is a no-op once it is', async () => {
      ecr.on(DescribeRepositoriesCommand).resolves(repo(true, 'MUTABLE'));
      ecr.on(ListTagsForResourceCommand).resolves({ tags: OWNER_TAGS });
      ecr.on(GetLifecyclePolicyCommand).resolves({ lifecyclePolicyText: storedPolicy(10) });
      ecr.on(PutImageTagMutabilityCommand).resolves({});
      const ctx = ctxFor(IMMUTABLE_CONFIG);
      const plan = await ecrStep.plan(ctx);
      expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'imageTagMutability', before: 'MUTABLE', after: 'IMMUTABLE' }] });
      ecr.resetHistory();
      await ecrStep.apply(ctx, plan);
      expect(commandNames(ecr)).toEqual(['PutImageTagMutability']);
      expect(ecr.commandCalls(PutImageTagMutabilityCommand)[0]!.args[0].input).toEqual({
        repositoryName: NAME,
        imageTagMutability: 'IMMUTABLE',
      });

      ecr.on(DescribeRepositoriesCommand).resolves(repo(true, 'IMMUTABLE'));
      ecr.resetHistory();
      expect((await ecrStep.plan(ctxFor(IMMUTABLE_CONFIG))).action).toBe('noop');
      expect(commandNames(ecr).every((n) => /^(Describe|List|Get)/.test(n))).toBe(true);
    });
  });

  it('refuses to adopt a repository with the same name that ecs-kit did not create', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves(repo());
    ecr.on(ListTagsForResourceCommand).resolves({ tags: [] });
    await expect(ecrStep.plan(ctxFor())).rejects.toThrow(/was not created by ecs-kit/);
  });

  it('deletes the repository with its images, and treats an already-gone one as deleted', async () => {
    ecr.on(DescribeRepositoriesCommand).resolvesOnce(repo()).rejects(notFound('RepositoryNotFoundException'));
    ecr.on(ListTagsForResourceCommand).resolves({ tags: OWNER_TAGS });
    ecr.on(DeleteRepositoryCommand).resolves({});
    const ctx = ctxFor();
    await ecrStep.destroy(ctx, STATE);
    await ecrStep.destroy(ctx, STATE);
    expect(ecr.commandCalls(DeleteRepositoryCommand).map((c) => c.args[0].input)).toEqual([{ repositoryName: NAME, force: true }]);
  });

  it('treats RepositoryNotFoundException on delete as deleted', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves(repo());
    ecr.on(ListTagsForResourceCommand).resolves({ tags: OWNER_TAGS });
    ecr.on(DeleteRepositoryCommand).rejects(notFound('RepositoryNotFoundException'));
    await expect(ecrStep.destroy(ctxFor(), STATE)).resolves.toBeUndefined();
  });

  it('leaves a repository alone at teardown when its tags say someone else owns it', async () => {
    ecr.on(DescribeRepositoriesCommand).resolves(repo());
    ecr.on(ListTagsForResourceCommand).resolves({
      tags: [
        { Key: 'ecs-kit:app', Value: 'shop' },
        { Key: 'ecs-kit:env', Value: 'prod' },
      ],
    });
    const ctx = ctxFor();
    await ecrStep.destroy(ctx, STATE);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(commandNames(ecr)).toEqual(['DescribeRepositories', 'ListTagsForResource']);
  });
});
