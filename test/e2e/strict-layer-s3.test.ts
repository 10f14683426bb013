import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startMoto, type Moto } from './harness/moto.js';
import { startStrictProxy, type StrictProxy } from './harness/strict/proxy.js';
import { failure } from './harness/strict/sdk.js';
import { DEFAULT_WINDOWS } from './harness/strict/types.js';

/**
 * Self-tests of the strict layer's S3 rules (what the shared state store relies on), with a plain SDK client: each rule
 * answers as AWS documents, moto's own conditional writes (412) pass through, and the `hold` hook keeps a call waiting.
 */
const W = 300;

describe('strict layer: S3', () => {
  let moto: Moto;
  let direct: S3Client;

  const client = (endpoint: string) =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });

  beforeAll(async () => {
    moto = await startMoto();
    direct = client(moto.endpoint);
  });
  afterAll(async () => {
    await moto?.stop();
  });

  async function layer(only: string[]): Promise<{ proxy: StrictProxy; s3: S3Client }> {
    const proxy = await startStrictProxy(moto.endpoint, {
      label: 'strict-layer self-test',
      only,
      windows: { ...DEFAULT_WINDOWS, s3ConditionalWrite: W },
    });
    onTestFinished(() => proxy.stop());
    return { proxy, s3: client(proxy.endpoint) };
  }

  it('CreateBucket tags reach the bucket (moto drops them without the rule)', async () => {
    const Tags = [{ Key: 'ecs-kit:state-bucket', Value: 'state-init' }];
    await direct.send(new CreateBucketCommand({ Bucket: 'tags-direct', CreateBucketConfiguration: { Tags } }));
    const bare = await direct.send(new GetBucketTaggingCommand({ Bucket: 'tags-direct' })).catch((e: Error) => ({ TagSet: [], e }));
    expect(bare.TagSet ?? []).toEqual([]);

    const { proxy, s3 } = await layer(['s3.create-bucket-tags']);
    await s3.send(new CreateBucketCommand({ Bucket: 'tags-layer', CreateBucketConfiguration: { Tags } }));
    expect((await direct.send(new GetBucketTaggingCommand({ Bucket: 'tags-layer' }))).TagSet).toEqual(Tags);
    expect(proxy.hits['s3.create-bucket-tags']).toBe(1);
  });

  it('a new bucket has Block Public Access on and SSE-S3 default encryption', async () => {
    await direct.send(new CreateBucketCommand({ Bucket: 'defaults' }));
    const absent = await failure(direct.send(new GetPublicAccessBlockCommand({ Bucket: 'defaults' })));
    expect(absent.$metadata?.httpStatusCode).toBe(404);

    const { s3 } = await layer(['s3.new-bucket-defaults']);
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: 'defaults' }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const sse = (await s3.send(new GetBucketEncryptionCommand({ Bucket: 'defaults' }))).ServerSideEncryptionConfiguration?.Rules;
    expect(sse?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
  });

  it('conditional writes: 412 from moto passes through; of two overlapping ones, one gets 409 ConditionalRequestConflict', async () => {
    await direct.send(new CreateBucketCommand({ Bucket: 'cond' }));
    await direct.send(new PutBucketVersioningCommand({ Bucket: 'cond', VersioningConfiguration: { Status: 'Enabled' } }));
    const { proxy, s3 } = await layer(['s3.conditional-write-conflict']);
    const first = await s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'one', IfNoneMatch: '*' }));
    const exists = await failure(s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'x', IfNoneMatch: '*' })));
    expect(exists).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const stale = await failure(s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'x', IfMatch: '"0000"' })));
    expect(stale.$metadata?.httpStatusCode).toBe(412);

    const both = await Promise.allSettled([
      s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'two', IfMatch: first.ETag })),
      s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'three', IfMatch: first.ETag })),
    ]);
    const rejected = both.filter((r) => r.status === 'rejected').map((r) => r.reason as Error);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } });
    expect(proxy.hits['s3.conditional-write-conflict']).toBe(1);
    const body = await (await direct.send(new GetObjectCommand({ Bucket: 'cond', Key: 'k' }))).Body!.transformToString();
    expect(body).toBe(both[0].status === 'fulfilled' ? 'two' : 'three');
    // An unconditional write is not held back.
    await s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'k', Body: 'plain' }));
    expect(proxy.hits['s3.conditional-write-conflict']).toBe(1);
  });

  it('hold keeps the first matching call waiting until release, and only that one', async () => {
    await direct.send(new CreateBucketCommand({ Bucket: 'held' }));
    const { proxy, s3 } = await layer([]);
    const gate = proxy.hold((c) => c.operation === 'DeleteObject');
    let done = false;
    const held = s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'a' })).then(() => (done = true));
    await gate.reached;
    await new Promise((r) => setTimeout(r, W));
    expect(done).toBe(false);
    await s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'b' }));
    gate.release();
    await held;
    expect(done).toBe(true);
  });
});
