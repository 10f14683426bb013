import { stateKeys } from '../config/state.js';
import type { PolicyContext } from './policy-context.js';
import type { Statement } from './statements.js';

/**
 * What every run needs of the shared state (src/engine/s3-store.ts), when the config keeps it in S3: exactly this
 * environment's state and lock objects, and reads of the bucket. Nothing for the local backend.
 */
export function statePermissions(ctx: PolicyContext): Statement[] {
  const loc = ctx.state;
  if (!loc || loc.backend !== 's3') return [];
  const keys = stateKeys(loc, ctx.app, ctx.env);
  const bucket = `arn:${ctx.partition}:s3:::${loc.bucket}`;
  return [
    {
      Sid: 'StateObjects',
      Effect: 'Allow',
      // PutObject with If-Match also needs GetObject (User Guide, conditional writes); DeleteObjectVersion: teardown
      // removes every version of the environment's objects.
      Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      Resource: [`${bucket}/${keys.state}`, `${bucket}/${keys.lock}`],
    },
    {
      Sid: 'StateBucket',
      Effect: 'Allow',
      // Without s3:ListBucket a missing object answers 403 instead of 404 (GetObject API reference, "Permissions"),
      // and a first deploy could not tell "no state yet" from "denied".
      Action: ['s3:GetBucketVersioning', 's3:ListBucket'],
      Resource: bucket,
    },
    {
      Sid: 'StateVersions',
      Effect: 'Allow',
      Action: ['s3:ListBucketVersions'],
      Resource: bucket,
      Condition: { StringEquals: { 's3:prefix': [keys.state, keys.lock] } },
    },
  ];
}
