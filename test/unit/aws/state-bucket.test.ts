import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketEncryptionCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deleteStateBucket, ensureStateBucket } from '../../../src/aws/state-bucket.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { s3Error } from '../../helpers/fake-s3.js';

const s3 = mockClient(S3Client);
const client = new S3Client({ region: 'eu-west-1' });
const OURS = { TagSet: [{ Key: 'ecs-kit:state-bucket', Value: 'state-init' }] };
const BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
const SSE = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } }] };
const mutating = () => commandNames(s3).filter((n) => !/^(Get|Head|List)/.test(n));

beforeEach(() => {
  s3.reset();
  strict(s3);
});

describe('state bucket', () => {
  it('creates a missing bucket tagged on create (LocationConstraint outside us-east-1), then versioning', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('NotFound', 404));
    s3.on(CreateBucketCommand).resolves({});
    s3.on(GetBucketVersioningCommand).resolves({});
    s3.on(PutBucketVersioningCommand).resolves({});
    s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: BLOCKED });
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: SSE });
    const report = await ensureStateBucket(client, 'acme-state', 'eu-west-1');
    expect(report).toMatchObject({ created: true, ours: true, fixed: ['versioning'], advice: [] });
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-state',
      CreateBucketConfiguration: { LocationConstraint: 'eu-west-1', Tags: OURS.TagSet },
    });
    expect(mutating()).toEqual(['CreateBucket', 'PutBucketVersioning']);
  });

  it('never changes a bucket you brought: no versioning is refused, missing protections are advice', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchTagSet', 404));
    s3.on(GetBucketVersioningCommand).resolves({});
    await expect(ensureStateBucket(client, 'users-bucket', 'eu-west-1')).rejects.toMatchObject({
      code: 'state.versioning',
      fix: expect.stringContaining('put-bucket-versioning --bucket users-bucket'),
    });
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetPublicAccessBlockCommand).rejects(s3Error('NoSuchPublicAccessBlockConfiguration', 404));
    s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: SSE });
    const report = await ensureStateBucket(client, 'users-bucket', 'eu-west-1');
    expect(report).toMatchObject({ created: false, ours: false, fixed: [] });
    expect(report.advice).toEqual([expect.stringContaining('block all public access')]);
    expect(mutating()).toEqual([]);
  });

  it('completes a bucket of its own that a stopped run left half set up', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketTaggingCommand).resolves(OURS);
    s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
    s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: { ...BLOCKED, RestrictPublicBuckets: false } });
    s3.on(PutPublicAccessBlockCommand).resolves({});
    s3.on(GetBucketEncryptionCommand).rejects(s3Error('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3.on(PutBucketEncryptionCommand).resolves({});
    const report = await ensureStateBucket(client, 'acme-state', 'us-east-1');
    expect(report.fixed).toEqual(['public access block', 'default encryption']);
    expect(mutating()).toEqual(['PutPublicAccessBlock', 'PutBucketEncryption']);
  });

  it('a bucket name taken by another account is refused with the fix', async () => {
    s3.on(HeadBucketCommand).rejects(s3Error('Forbidden', 403));
    await expect(ensureStateBucket(client, 'taken', 'us-east-1')).rejects.toMatchObject({ code: 'state.bucket-not-owned' });
    expect(mutating()).toEqual([]);
  });

  it('deletes only an empty bucket that state init created', async () => {
    s3.on(HeadBucketCommand).resolves({});
    s3.on(GetBucketTaggingCommand).rejects(s3Error('NoSuchTagSet', 404));
    expect(await deleteStateBucket(client, 'users-bucket')).toEqual({ deleted: false, why: expect.stringContaining('did not create it') });
    s3.on(GetBucketTaggingCommand).resolves(OURS);
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'ecs-kit/other/default.json' }] });
    expect(await deleteStateBucket(client, 'acme-state')).toEqual({ deleted: false, why: expect.stringContaining('other apps') });
    expect(mutating()).toEqual([]);
    s3.on(ListObjectVersionsCommand).resolves({});
    s3.on(DeleteBucketCommand).resolves({});
    expect(await deleteStateBucket(client, 'acme-state')).toEqual({ deleted: true });
    expect(mutating()).toEqual(['DeleteBucket']);
  });
});
