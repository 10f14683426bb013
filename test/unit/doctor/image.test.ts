import { BatchGetImageCommand } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { imageArchitectureCheck, parseEcrImage } from '../../../src/doctor/image.js';
import { ACCOUNT, awsError, calls, doctorContext, mocks, useStrictMocks } from './fixture.js';

useStrictMocks();

const REPO = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/web`;
const service = (image: string, extra = '') => `app: shop\nservices:\n  web:\n    image: ${image}\n    port: 80\n${extra}`;
const ARM = '    cpuArchitecture: arm64\n';

const index = (...platforms: [string, string][]) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: platforms.map(([os, architecture], i) => ({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${String(i).repeat(64)}`,
      platform: { os, architecture },
    })),
  });
const single = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: { digest: 'sha256:c' },
  layers: [],
});
const image = (manifest: string) =>
  mocks.ecr.on(BatchGetImageCommand).resolves({ images: [{ imageManifest: manifest, imageId: { imageTag: 'v1' } }], failures: [] });

describe('ECR image URIs', () => {
  it('reads account, region, repository, tag and digest; other registries are not ECR', () => {
    expect(parseEcrImage(`${REPO}:v1`)).toEqual({ account: ACCOUNT, region: 'us-east-1', repository: 'shop/web', tag: 'v1' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseEcrImage(`${REPO}@${digest}`)).toEqual({ account: ACCOUNT, region: 'us-east-1', repository: 'shop/web', digest });
    expect(parseEcrImage('nginx:1.27')).toBeUndefined();
    expect(parseEcrImage('public.ecr.aws/nginx/nginx:1.27')).toBeUndefined();
  });
});

describe('image-architecture', () => {
  it("skips images outside this account's ECR, with the reason, and calls nothing", async () => {
    const r = await imageArchitectureCheck.run(doctorContext(service('nginx:1.27')));
    expect(r).toMatchObject({
      status: 'skip',
      details: ['web: nginx:1.27 is not in a private ECR registry; its architecture is not checked'],
    });
    expect(await imageArchitectureCheck.run(doctorContext(service(`999999999999.dkr.ecr.us-east-1.amazonaws.com/x:v1`)))).toMatchObject({
      status: 'skip',
    });
    expect(calls()).toEqual([]);
  });

  it("is ok when the index has the task's architecture, asking ECR for index types too", async () => {
    image(index(['linux', 'amd64'], ['linux', 'arm64'], ['unknown', 'unknown']));
    const r = await imageArchitectureCheck.run(doctorContext(service(`${REPO}:v1`, ARM)));
    expect(r).toMatchObject({ status: 'ok', details: ['web: linux/amd64, linux/arm64 includes linux/arm64'] });
    const input = mocks.ecr.commandCalls(BatchGetImageCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ repositoryName: 'shop/web', imageIds: [{ imageTag: 'v1' }] });
    const indexTypes = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
    expect(input.acceptedMediaTypes).toEqual(expect.arrayContaining(indexTypes));
  });

  it('fails when the index lacks it (arm64 task, amd64-only image), and suggests the architecture the image has', async () => {
    image(index(['linux', 'amd64']));
    const r = await imageArchitectureCheck.run(doctorContext(service(`${REPO}:v1`, ARM)));
    expect(r.status).toBe('fail');
    expect(r.details?.[0]).toMatch(/offers linux\/amd64, but the task runs ARM64/);
    expect(r.fix).toBe('Push a linux/arm64 variant of the image, or set services.web.cpuArchitecture: x86_64.');
  });

  it('single-platform manifests: architecture not visible; skipped for x86_64 tasks, a warning for arm64 ones', async () => {
    image(single);
    expect((await imageArchitectureCheck.run(doctorContext(service(`${REPO}:v1`)))).status).toBe('skip');
    const r = await imageArchitectureCheck.run(doctorContext(service(`${REPO}:v1`, ARM)));
    expect(r.status).toBe('warn');
    expect(r.details?.[0]).toMatch(/architecture is not visible from the manifest/);
  });

  it('fails for an image or repository that does not exist', async () => {
    mocks.ecr
      .on(BatchGetImageCommand)
      .resolves({ images: [], failures: [{ failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }] });
    expect(await imageArchitectureCheck.run(doctorContext(service(`${REPO}:v9`)))).toMatchObject({
      status: 'fail',
      fix: 'Push the image, or fix services.web.image.',
    });
    mocks.ecr.on(BatchGetImageCommand).rejects(awsError('RepositoryNotFoundException'));
    expect((await imageArchitectureCheck.run(doctorContext(service(`${REPO}:v9`)))).details).toEqual([
      'web: repository shop/web does not exist',
    ]);
  });

  it("a service ecs-kit builds is built for its task's architecture", async () => {
    const r = await imageArchitectureCheck.run(
      doctorContext(`app: shop\nservices:\n  web:\n    build: { context: . }\n    port: 80\n${ARM}`),
    );
    expect(r).toMatchObject({ status: 'ok', details: ['web: built by ecs-kit for linux/arm64 (the task runs ARM64)'] });
  });
});
