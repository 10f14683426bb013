import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import { ExitCode, UsageError } from '../../../src/errors.js';
import { contextDigest } from '../../../src/docker/context-digest.js';
import { imageStep, resolveBuildPaths, tagForDigest } from '../../../src/steps/image/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { config, fakeDocker, stepContext } from '../../helpers/context.js';

const ecr = mockClient(ECRClient);
let dir: string;
beforeEach(() => {
  ecr.reset();
  strict(ecr);
  dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ecs-kit-image-')));
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app', 'Dockerfile'), 'FROM scratch\n');
  // The CLI runs from the config file's directory.
  vi.spyOn(process, 'cwd').mockReturnValue(dir);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const REPO = {
  repositoryName: 'shop/default/web',
  repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/default/web',
  repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/shop/default/web',
};
const PASSWORD = 'eyJwYXlsb2FkIjoic2VjcmV0LXBhc3N3b3JkIn0=';
const cfg = (build = '{ context: app }') =>
  config(`app: shop\nservices: { web: { build: ${build}, port: 80 }, worker: { image: busybox } }`);

function spyDocker() {
  const docker = fakeDocker();
  const passwords: string[] = [];
  const builds: unknown[] = [];
  const build = docker.build;
  docker.build = async (o) => {
    builds.push(o);
    await build(o);
  };
  docker.login = async (r, u, p) => {
    passwords.push(p);
    docker.calls.push(['login', r, u]);
  };
  return Object.assign(docker, { passwords, builds });
}

/** The tag the source in `dir/app` gets: its content digest (see the digest tests below). */
async function sourceTag(platform = 'linux/amd64'): Promise<string> {
  const context = path.join(dir, 'app');
  return tagForDigest(await contextDigest({ context, dockerfile: path.join(context, 'Dockerfile'), args: {}, platform }));
}

describe('image step', () => {
  it('has one instance per building service, after its repository', () => {
    expect(imageStep.instances(cfg())).toEqual([{ scope: 'web', dependsOn: ['ecr:web'] }]);
  });

  it('plans from the source alone (no docker), builds in the build phase, then pushes when ECR lacks that tag', async () => {
    const TAG = await sourceTag();
    ecr.on(DescribeImagesCommand).rejects(Object.assign(new Error('nope'), { name: 'ImageNotFoundException' }));
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from(`AWS:${PASSWORD}`).toString('base64'),
          proxyEndpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
        },
      ],
    });
    const docker = spyDocker();
    const ctx = stepContext(imageStep, { config: cfg(), scope: 'web', deps: { 'ecr:web': REPO }, docker });
    const plan = await imageStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'create', changes: [{ field: 'build and push', after: TAG }], outputsChange: true });
    expect(docker.calls, 'plan is read-only: it never runs docker').toEqual([]);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({
      repositoryName: REPO.repositoryName,
      imageIds: [{ imageTag: TAG }],
    });

    await imageStep.prepare!(ctx);
    expect(docker.builds).toEqual([
      {
        context: path.join(dir, 'app'),
        dockerfile: path.join(dir, 'app', 'Dockerfile'),
        tag: `ecs-kit/shop-default-web:${TAG}`,
        platform: 'linux/amd64',
        args: {},
      },
    ]);
    expect(ecr.calls(), 'the build phase makes no AWS call').toHaveLength(1);

    const state = await imageStep.apply(ctx, plan);
    expect(state).toEqual({ imageUri: `${REPO.repositoryUri}:${TAG}`, tag: TAG });
    expect(docker.calls).toEqual([
      ['build', `ecs-kit/shop-default-web:${TAG}`],
      ['tag', `ecs-kit/shop-default-web:${TAG}`, `${REPO.repositoryUri}:${TAG}`],
      ['login', 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com', 'AWS'],
      ['push', `${REPO.repositoryUri}:${TAG}`],
    ]);
    expect(docker.passwords).toEqual([PASSWORD]);
    // The registry password goes to docker's stdin only: never to messages or state.
    const seen = JSON.stringify([ctx.messages, ctx.warnings, state, plan]);
    expect(seen).not.toContain(PASSWORD);
  });

  it('plans no change (one read call, no docker at all) when ECR already has the source tag', async () => {
    const TAG = await sourceTag();
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: [TAG], imageDigest: 'sha256:abc' }] });
    const docker = spyDocker();
    const plan = await imageStep.plan(stepContext(imageStep, { config: cfg(), scope: 'web', deps: { 'ecr:web': REPO }, docker }));
    expect(plan).toMatchObject({ action: 'noop', current: { imageUri: `${REPO.repositoryUri}:${TAG}`, tag: TAG } });
    expect(commandNames(ecr)).toEqual(['DescribeImages']);
    expect(docker.calls).toEqual([]);
  });

  it('builds for the architecture the service runs on', async () => {
    const TAG = await sourceTag('linux/arm64');
    const docker = spyDocker();
    const ctx = stepContext(imageStep, {
      config: config('app: shop\nservices: { web: { build: { context: app }, cpuArchitecture: arm64 } }'),
      scope: 'web',
      docker,
    });
    await imageStep.prepare!(ctx);
    expect(docker.builds).toEqual([expect.objectContaining({ platform: 'linux/arm64', tag: `ecs-kit/shop-default-web:${TAG}` })]);
  });

  it('waits for the repository before building anything', async () => {
    const docker = spyDocker();
    await expect(imageStep.plan(stepContext(imageStep, { config: cfg(), scope: 'web', docker }))).rejects.toBeInstanceOf(PendingDependency);
    expect(docker.calls).toEqual([]);
  });

  it('refuses a Dockerfile outside the build context (exit 2)', async () => {
    writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    const docker = spyDocker();
    // The config loader refuses this path already (checkPathRules); the step refuses it too, as a second line.
    const config = cfg('{ context: app, dockerfile: Dockerfile }');
    config.services.web!.build!.dockerfile = '../Dockerfile';
    const ctx = stepContext(imageStep, {
      config,
      scope: 'web',
      deps: { 'ecr:web': REPO },
      docker,
    });
    const err = await imageStep.plan(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((err as Error).message).toMatch(/outside the build context/);
    expect(docker.calls).toEqual([]);
  });

  it('refuses a Dockerfile that links out of the build context', () => {
    writeFileSync(path.join(dir, 'Outside.Dockerfile'), 'FROM scratch\n');
    symlinkSync(path.join(dir, 'Outside.Dockerfile'), path.join(dir, 'app', 'Linked.Dockerfile'));
    expect(() => resolveBuildPaths({ context: 'app', dockerfile: 'Linked.Dockerfile' }, dir, 'web')).toThrow(/outside the build context/);
  });

  it('refuses a missing Dockerfile or context (exit 2)', () => {
    expect(() => resolveBuildPaths({ context: 'app', dockerfile: 'Nope' }, dir, 'web')).toThrow(UsageError);
    expect(() => resolveBuildPaths({ context: 'missing', dockerfile: 'Dockerfile' }, dir, 'web')).toThrow(/is not a directory/);
    expect(resolveBuildPaths({ context: '.', dockerfile: 'app/Dockerfile' }, dir, 'web')).toEqual({
      context: dir,
      dockerfile: path.join(dir, 'app', 'Dockerfile'),
    });
  });

  it('does not put the token into the error when ECR returns a malformed one', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    ecr
      .on(GetAuthorizationTokenCommand)
      .resolves({ authorizationData: [{ authorizationToken: Buffer.from(PASSWORD).toString('base64'), proxyEndpoint: 'https://r' }] });
    const ctx = stepContext(imageStep, { config: cfg(), scope: 'web', deps: { 'ecr:web': REPO }, docker: spyDocker() });
    const plan = await imageStep.plan(ctx);
    expect(plan.action).toBe('create');
    const err = (await imageStep.apply(ctx, plan).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/no usable registry login/);
    expect(JSON.stringify({ m: err.message, e: err })).not.toContain(PASSWORD);
  });

  it('has nothing to delete: images go with the repository', async () => {
    const ctx = stepContext(imageStep, { config: cfg(), scope: 'web' });
    await imageStep.destroy(ctx, { imageUri: `${REPO.repositoryUri}:src-0123456789ab`, tag: 'src-0123456789ab' });
    expect(ecr.calls()).toHaveLength(0);
  });
});
