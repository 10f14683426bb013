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
  type S3Client,
} from '@aws-sdk/client-s3';
import { EcsKitError } from '../errors.js';
import { errorName, explainAwsError, isAwsError } from './errors.js';

/**
 * The shared state bucket: `ecs-kit state init` creates it (private, encrypted, versioned, tagged) or checks one you
 * brought; `teardown --delete-bucket` deletes it only when state init created it and nothing is left in it.
 */

/** The tag state init puts on the bucket it creates (the bucket is shared by apps, so it carries no app/env tags). */
export const TAG_STATE_BUCKET = 'ecs-kit:state-bucket';
const CREATED_BY = 'state-init';

type Send = Pick<S3Client, 'send'>;
const status = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

export interface BucketReport {
  bucket: string;
  created: boolean;
  /** state init created it (tagged): it may be completed here and deleted by teardown --delete-bucket. */
  ours: boolean;
  /** What was switched on now (a bucket of ours from a run that stopped half-way). */
  fixed: string[];
  /** What a bucket you brought lacks that a state bucket should have (versioning is required, not listed here). */
  advice: string[];
}

const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** HeadBucket: true when it exists and we may use it; false when there is none; throws when it is someone else's. */
async function bucketExists(s3: Send, bucket: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    if (status(err) === 404 || isAwsError(err, 'NotFound', 'NoSuchBucket')) return false;
    if (status(err) === 403) throw notOwned(bucket);
    throw explainAwsError(err, `looking for the state bucket ${bucket}`);
  }
}

function notOwned(bucket: string): EcsKitError {
  return new EcsKitError(
    'state.bucket-not-owned',
    `The bucket ${bucket} exists, but not in your account (or your credentials may not use it).`,
    {
      why: 'Bucket names are global: someone else has this one, or a bucket policy denies you.',
      fix: 'Choose another name with --bucket (e.g. add your account id or team name), or ask for access to it.',
    },
  );
}

export async function isStateInitBucket(s3: Send, bucket: string): Promise<boolean> {
  try {
    const tags = (await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet ?? [];
    return tags.some((t) => t.Key === TAG_STATE_BUCKET && t.Value === CREATED_BY);
  } catch (err) {
    if (isAwsError(err, 'NoSuchTagSet') || status(err) === 404) return false;
    throw explainAwsError(err, `reading the tags of ${bucket}`);
  }
}

/**
 * Creates the bucket (tagged on create, so a run stopped right after still knows it is ours) or finds it, then makes
 * sure a bucket of ours has versioning, default encryption and all public access blocked; a bucket you brought is only
 * checked: it must have versioning (the state store refuses one without it).
 */
export async function ensureStateBucket(s3: Send, bucket: string, region: string): Promise<BucketReport> {
  let created = false;
  if (!(await bucketExists(s3, bucket))) {
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          // us-east-1 takes no LocationConstraint (CreateBucket API reference).
          CreateBucketConfiguration: {
            ...(region === 'us-east-1' ? {} : { LocationConstraint: region as never }),
            Tags: [{ Key: TAG_STATE_BUCKET, Value: CREATED_BY }],
          },
        }),
      );
      created = true;
    } catch (err) {
      if (isAwsError(err, 'BucketAlreadyExists')) throw notOwned(bucket);
      if (!isAwsError(err, 'BucketAlreadyOwnedByYou')) throw explainAwsError(err, `creating the state bucket ${bucket}`);
    }
  }
  const ours = created || (await isStateInitBucket(s3, bucket));
  const report: BucketReport = { bucket, created, ours, fixed: [], advice: [] };
  await versioning(s3, bucket, report);
  await publicAccess(s3, bucket, report);
  await encryption(s3, bucket, report);
  return report;
}

async function versioning(s3: Send, bucket: string, report: BucketReport): Promise<void> {
  const on = (await read(() => s3.send(new GetBucketVersioningCommand({ Bucket: bucket })), bucket))?.Status === 'Enabled';
  if (on) return;
  if (!report.ours) {
    throw new EcsKitError(
      'state.versioning',
      `The bucket ${bucket} does not have versioning on; ecs-kit keeps state only in a versioned bucket.`,
      {
        why: 'Versions are what let you restore a damaged or overwritten manifest.',
        fix: `Turn it on: aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled (ecs-kit does not change a bucket it did not create).`,
      },
    );
  }
  await write(() => s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })), bucket);
  report.fixed.push('versioning');
}

async function publicAccess(s3: Send, bucket: string, report: BucketReport): Promise<void> {
  const cfg = (
    await read(() => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), bucket, ['NoSuchPublicAccessBlockConfiguration'])
  )?.PublicAccessBlockConfiguration;
  if (cfg && Object.keys(ALL_BLOCKED).every((k) => cfg[k as keyof typeof ALL_BLOCKED])) return;
  if (!report.ours) {
    report.advice.push('block all public access (aws s3api put-public-access-block)');
    return;
  }
  await write(() => s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: ALL_BLOCKED })), bucket);
  report.fixed.push('public access block');
}

async function encryption(s3: Send, bucket: string, report: BucketReport): Promise<void> {
  const rules = (
    await read(() => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })), bucket, [
      'ServerSideEncryptionConfigurationNotFoundError',
    ])
  )?.ServerSideEncryptionConfiguration?.Rules;
  if (rules?.some((r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm)) return;
  if (!report.ours) {
    report.advice.push('default encryption (aws s3api put-bucket-encryption)');
    return;
  }
  const config = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } }] };
  await write(() => s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: config })), bucket);
  report.fixed.push('default encryption');
}

async function read<T>(call: () => Promise<T>, bucket: string, absent: string[] = []): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (absent.includes(errorName(err))) return undefined;
    throw explainAwsError(err, `reading the settings of the state bucket ${bucket}`);
  }
}

async function write(call: () => Promise<unknown>, bucket: string): Promise<void> {
  try {
    await call();
  } catch (err) {
    throw explainAwsError(err, `setting up the state bucket ${bucket}`);
  }
}

/**
 * teardown --delete-bucket: deletes the bucket when state init created it and it holds nothing (no object, no version,
 * no delete marker: DeleteBucket refuses anything else). Otherwise says why it stays.
 */
export async function deleteStateBucket(s3: Send, bucket: string): Promise<{ deleted: true } | { deleted: false; why: string }> {
  if (!(await bucketExists(s3, bucket))) return { deleted: false, why: 'it does not exist' };
  if (!(await isStateInitBucket(s3, bucket)))
    return { deleted: false, why: 'ecs-kit state init did not create it (it has no ecs-kit:state-bucket tag)' };
  let page;
  try {
    page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, MaxKeys: 1 }));
  } catch (err) {
    throw explainAwsError(err, `listing what is left in ${bucket}`);
  }
  if ((page.Versions?.length ?? 0) + (page.DeleteMarkers?.length ?? 0) > 0) {
    return { deleted: false, why: 'it still holds the state of other apps or environments' };
  }
  try {
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isAwsError(err, 'NoSuchBucket')) throw explainAwsError(err, `deleting the state bucket ${bucket}`);
  }
  return { deleted: true };
}
