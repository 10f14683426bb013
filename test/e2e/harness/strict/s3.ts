import { refuse, type Rule } from './types.js';

/**
 * S3 as the shared state store uses it. moto 5.2.1 implements conditional writes (If-None-Match: *, If-Match → 412)
 * and conditional deletes, but not what happens when two conditional writes overlap, not tags given to CreateBucket,
 * and not the settings every new bucket has had since 2023.
 */

const conditionalWriteConflict: Rule = {
  id: 's3.conditional-write-conflict',
  description:
    'A conditional PutObject (If-Match / If-None-Match) takes a window to upload; another conditional write to the key meanwhile: 409 ConditionalRequestConflict',
  // PutObject API reference, If-Match / If-None-Match: "If a conflicting operation occurs during the upload S3 returns a 409
  // ConditionalRequestConflict response. On a 409 failure you should retry the upload." Message text unconfirmed.
  source: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html',
  async check(req, { state, windows, forward }) {
    if (!req.s3 || req.operation !== 'PutObject' || (!req.s3.ifMatch && !req.s3.ifNoneMatch)) return undefined;
    const keys = state.s3ConditionalWrites;
    const id = `${req.s3.bucket}/${req.s3.key}`;
    if (keys.has(id)) {
      return refuse(
        'ConditionalRequestConflict',
        'A conflicting conditional operation is currently in progress against this resource. Please try again.',
        409,
      );
    }
    keys.add(id);
    try {
      await new Promise((r) => setTimeout(r, windows.s3ConditionalWrite));
      return { raw: await forward(), passedOn: true };
    } finally {
      keys.delete(id);
    }
  },
};

/** The `<Tag><Key>…</Key><Value>…</Value></Tag>` elements of a CreateBucketConfiguration. */
function tagsOf(body: string): string[] {
  const tags = /<Tags>([\s\S]*?)<\/Tags>/.exec(body)?.[1];
  return tags ? [...tags.matchAll(/<Tag>[\s\S]*?<\/Tag>/g)].map((m) => m[0]) : [];
}

const createBucketTags: Rule = {
  id: 's3.create-bucket-tags',
  description:
    'CreateBucket with CreateBucketConfiguration.Tags tags the new bucket (moto 5.2.1 drops them): applied with PutBucketTagging',
  // CreateBucket API reference, CreateBucketConfiguration "Tags": tags applied to the general purpose bucket being created.
  source: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucketConfiguration.html',
  async check(req, { forward, rest }) {
    if (!req.s3 || req.operation !== 'CreateBucket') return undefined;
    const tags = tagsOf(req.s3.body);
    if (!tags.length) return undefined;
    const created = await forward();
    if (created.status >= 200 && created.status < 300) {
      const tagging = `<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${tags.join('')}</TagSet></Tagging>`;
      const tagged = await rest('PUT', `/${encodeURIComponent(req.s3.bucket)}?tagging`, tagging);
      if (tagged.status >= 300) throw new Error(`strict layer: tagging ${req.s3.bucket} failed: ${tagged.body.toString()}`);
    }
    return { raw: created };
  },
};

const ALL_BLOCKED =
  '<PublicAccessBlockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><BlockPublicAcls>true</BlockPublicAcls>' +
  '<IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>' +
  '</PublicAccessBlockConfiguration>';
const SSE_S3 =
  '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>' +
  '<SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>' +
  '</ServerSideEncryptionConfiguration>';

const newBucketDefaults: Rule = {
  id: 's3.new-bucket-defaults',
  description:
    'Every bucket has Block Public Access on and SSE-S3 default encryption unless changed (moto 5.2.1 answers "not found"): GetPublicAccessBlock / GetBucketEncryption answer those',
  // April 2023: S3 Block Public Access on and ACLs off for all new buckets; January 2023: SSE-S3 is the base level of
  // encryption for every bucket (User Guide, "Setting default server-side encryption behavior for Amazon S3 buckets").
  source: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html',
  async check(req, { forward }) {
    if (!req.s3 || (req.operation !== 'GetPublicAccessBlock' && req.operation !== 'GetBucketEncryption')) return undefined;
    const up = await forward();
    const absent = /NoSuchPublicAccessBlockConfiguration|ServerSideEncryptionConfigurationNotFoundError/.test(up.body.toString());
    if (up.status !== 404 || !absent) return { raw: up, passedOn: true };
    const body = `<?xml version="1.0" encoding="UTF-8"?>${req.operation === 'GetPublicAccessBlock' ? ALL_BLOCKED : SSE_S3}`;
    return { raw: { status: 200, headers: { 'content-type': 'application/xml' }, body } };
  },
};

export const S3_RULES: Rule[] = [createBucketTags, newBucketDefaults, conditionalWriteConflict];
