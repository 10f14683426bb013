import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { strict } from './aws-mock.js';

/** An AWS-shaped error as the S3 client throws it. */
export function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

interface Version {
  id: string;
  text?: string;
  etag?: string;
  deleteMarker?: boolean;
}

/**
 * One versioned bucket in memory behind aws-sdk-client-mock, with S3's conditional write and delete semantics
 * (If-None-Match: * → 412 when the key exists; If-Match → 412 on another ETag, 404 when absent). `before` hooks let a
 * test interleave another writer or fail a call.
 */
export class FakeBucket {
  readonly mock = strict(mockClient(S3Client));
  readonly keys = new Map<string, Version[]>();
  versioning: 'Enabled' | 'Suspended' | undefined = 'Enabled';
  private n = 0;
  /** Runs before each PutObject; may throw to fail it (after `commit` when the write should land first). */
  beforePut?: (input: { Key: string; Body: string }, commit: () => string) => void;

  constructor() {
    this.mock.on(GetBucketVersioningCommand).callsFake(() => ({ Status: this.versioning }));
    this.mock.on(GetObjectCommand).callsFake((i: { Key: string }) => {
      const cur = this.current(i.Key);
      if (!cur) throw s3Error('NoSuchKey', 404);
      return { ETag: cur.etag, Body: { transformToString: async () => cur.text } };
    });
    this.mock.on(PutObjectCommand).callsFake((i: { Key: string; Body: string; IfMatch?: string; IfNoneMatch?: string }) => {
      const cur = this.current(i.Key);
      if (i.IfNoneMatch === '*' && cur) throw s3Error('PreconditionFailed', 412);
      if (i.IfMatch !== undefined && !cur) throw s3Error('NoSuchKey', 404);
      if (i.IfMatch !== undefined && cur!.etag !== i.IfMatch) throw s3Error('PreconditionFailed', 412);
      let etag: string | undefined;
      const commit = () => (etag = this.put(i.Key, i.Body));
      this.beforePut?.(i, commit);
      return { ETag: etag ?? commit() };
    });
    this.mock.on(DeleteObjectCommand).callsFake((i: { Key: string; IfMatch?: string; VersionId?: string }) => {
      const versions = this.keys.get(i.Key) ?? [];
      if (i.VersionId) {
        this.keys.set(
          i.Key,
          versions.filter((v) => v.id !== i.VersionId),
        );
        return {};
      }
      const cur = this.current(i.Key);
      if (i.IfMatch !== undefined && !cur) throw s3Error('NoSuchKey', 404);
      if (i.IfMatch !== undefined && i.IfMatch !== '*' && cur!.etag !== i.IfMatch) throw s3Error('PreconditionFailed', 412);
      versions.push({ id: `v${++this.n}`, deleteMarker: true });
      this.keys.set(i.Key, versions);
      return { DeleteMarker: true };
    });
    this.mock.on(ListObjectVersionsCommand).callsFake((i: { Prefix: string }) => {
      const all = [...this.keys.entries()].filter(([k]) => k.startsWith(i.Prefix));
      return {
        Versions: all.flatMap(([Key, vs]) => vs.filter((v) => !v.deleteMarker).map((v) => ({ Key, VersionId: v.id }))),
        DeleteMarkers: all.flatMap(([Key, vs]) => vs.filter((v) => v.deleteMarker).map((v) => ({ Key, VersionId: v.id }))),
        IsTruncated: false,
      };
    });
  }

  /** Writes as another client would (unconditionally); returns the ETag. */
  put(key: string, text: string): string {
    const etag = `"${createHash('md5').update(text).digest('hex')}"`;
    const versions = this.keys.get(key) ?? [];
    versions.push({ id: `v${++this.n}`, text, etag });
    this.keys.set(key, versions);
    return etag;
  }

  current(key: string): Version | undefined {
    const last = this.keys.get(key)?.at(-1);
    return last && !last.deleteMarker ? last : undefined;
  }

  text(key: string): string | undefined {
    return this.current(key)?.text;
  }

  /** The S3 client the store gets. */
  get client(): S3Client {
    return new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  }
}
