import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, runCli } from './harness/cli.js';
import { startMoto, type Moto } from './harness/moto.js';
import { startRecordingProxy, type RecordingProxy } from './harness/proxy.js';
import { tempDir } from './harness/workdir.js';

const ACCOUNT = '123456789012'; // moto's default account
const CHECK_ORDER = [
  'credentials',
  'region',
  'service-linked-roles',
  'quotas',
  'fargate-zones',
  'certificate',
  'secrets',
  'image-architecture',
];

/**
 * `ecs-kit doctor`, the built CLI against moto through the recording proxy: a healthy config
 * passes with reads only, a certificate from another region fails doctor (exit 1) and stops
 * deploy (exit 2) before any mutating call, and an image without the task's architecture fails.
 */
describe('doctor: a read-only preflight', () => {
  let moto: Moto;
  let proxy: RecordingProxy;
  let work: Awaited<ReturnType<typeof tempDir>>;
  const cli = (args: string[]) => runCli(args, { cwd: work.dir, endpoint: proxy.endpoint });
  const useConfig = (yaml: string) => writeFile(path.join(work.dir, 'ecs-kit.yml'), yaml);
  const mutating = () => proxy.calls.filter((c) => c.mutating).map((c) => `${c.service}:${c.operation}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const checkOf = (events: any[], name: string) => events.find((e) => e.type === 'check' && e.name === name);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startRecordingProxy(moto.endpoint);
    work = await tempDir('doctor');
  }, 60_000);

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    await work?.cleanup();
  });

  it('a healthy config passes (exit 0) with zero mutating calls, in both output modes', async () => {
    await useConfig('app: shop\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    autoscaling: { min: 1, max: 2 }\n');
    proxy.clear();
    const r = await cli(['doctor', '--json']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.events.filter((e) => e.type === 'check').map((e) => e.name)).toEqual(CHECK_ORDER);
    expect(
      r.events.filter((e) => e.type === 'check' && e.status === 'fail'),
      describeRun(r),
    ).toEqual([]);
    expect(checkOf(r.events, 'credentials').message).toContain(`account ${ACCOUNT}`);
    expect(checkOf(r.events, 'quotas').details[0]).toMatch(/^VPCs per Region: \d+ of 5 used/);
    const summary = r.events.at(-1);
    expect(summary).toMatchObject({ type: 'check.summary', fail: 0, mutatingCalls: 0 });
    // The CLI's own count agrees with what went over the wire (AWS_MAX_ATTEMPTS=1: no retries).
    expect(summary.calls).toBe(proxy.calls.length);
    expect(mutating()).toEqual([]);

    const plain = await cli(['doctor']);
    expect(plain.code, describeRun(plain)).toBe(0);
    expect(plain.stdout).toMatch(/OK {3}credentials {10}account 123456789012/);
    expect(plain.stdout).toMatch(/Doctor: \d+ ok, .* 0 failed/);
    expect(mutating()).toEqual([]);
  });

  it('a certificate from another region fails doctor (exit 1), and deploy exits 2 before any mutating call', async () => {
    const certificateArn = `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/0a1b2c3d-1111`;
    await useConfig(
      `app: shop\nloadBalancer:\n  certificateArn: ${certificateArn}\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n`,
    );
    proxy.clear();
    const doctor = await cli(['doctor', '--json']);
    expect(doctor.code, describeRun(doctor)).toBe(1);
    const fix = expect.stringMatching(/^ACM certificates are regional; request or import one in us-east-1/);
    expect(checkOf(doctor.events, 'certificate')).toMatchObject({ status: 'fail', fix });
    expect(mutating()).toEqual([]);

    proxy.clear();
    const deploy = await cli(['deploy', '--yes', '--json']);
    expect(deploy.code, describeRun(deploy)).toBe(2);
    expect(deploy.events.find((e) => e.type === 'error')).toMatchObject({ code: 'config.certificate-region' });
    expect(proxy.calls.map((c) => c.operation)).toEqual(['GetCallerIdentity']);
  });

  it('an arm64 service whose ECR image offers only linux/amd64 fails image-architecture', async () => {
    // The user's image, pushed straight to moto (not through the proxy) as a multi-platform index.
    const ecr = new ECRClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'shop/api' }));
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'1'.repeat(64)}`,
          size: 500,
          platform: { os: 'linux', architecture: 'amd64' },
        },
      ],
    };
    await ecr.send(new PutImageCommand({ repositoryName: 'shop/api', imageTag: 'v1', imageManifest: JSON.stringify(index) }));
    ecr.destroy();

    await useConfig(
      `app: shop\nservices:\n  api:\n    image: ${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop/api:v1\n    cpuArchitecture: arm64\n`,
    );
    proxy.clear();
    const r = await cli(['doctor', '--json']);
    expect(r.code, describeRun(r)).toBe(1);
    expect(checkOf(r.events, 'image-architecture')).toMatchObject({
      status: 'fail',
      details: [expect.stringMatching(/offers linux\/amd64, but the task runs ARM64/)],
    });
    expect(mutating()).toEqual([]);
  });
});
