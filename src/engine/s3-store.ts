import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { explainAwsError, isAwsError } from '../aws/errors.js';
import { s3Url, stateKeys, type S3StateLocation } from '../config/state.js';
import { EcsKitError } from '../errors.js';
import { isAlive, lockHeldError, newLockInfo, type LockInfo } from './lock.js';
import { parseManifest, serializeManifest, type Manifest, type ManifestStore } from './manifest.js';

/*
 * The shared state store: one S3 object per app/env, written with S3 conditional writes, and a lock object beside it.
 * - First write `If-None-Match: *`, every later one `If-Match: <ETag it read or wrote>`: a write that lost a race gets
 *   412 PreconditionFailed and overwrites nothing. Two conditional writes in flight at once: one may get 409
 *   ConditionalRequestConflict, which AWS says to retry (Amazon S3 User Guide, "How to prevent object overwrites with
 *   conditional writes", https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html; PutObject API
 *   reference, If-Match / If-None-Match).
 * - The lock is created with `If-None-Match: *` and released with a conditional delete `If-Match: <its ETag>`
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html), so a run never deletes a lock
 *   that replaced its own after a --force-unlock.
 * - The bucket must have versioning on: every manifest ever written can be restored.
 */

const PRECONDITION_FAILED = ['PreconditionFailed'];
const CONFLICT = ['ConditionalRequestConflict'];
const status = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const lostRace = (err: unknown) => isAwsError(err, ...PRECONDITION_FAILED) || status(err) === 412;
const inFlight = (err: unknown) => isAwsError(err, ...CONFLICT) || status(err) === 409;
const missing = (err: unknown) => isAwsError(err, 'NoSuchKey', 'NotFound') || (status(err) === 404 && !isAwsError(err, 'NoSuchBucket'));

type Send = Pick<S3Client, 'send'>;

export interface S3StoreOptions {
  /** Pause before retrying a 409 (ms); tests shorten it. */
  conflictDelayMs?: number;
}

export class S3ManifestStore implements ManifestStore {
  readonly location: string;
  readonly lockLocation: string;
  private readonly keys: { state: string; lock: string };
  /** The ETag of the manifest as this run last read or wrote it (undefined: there was none). */
  private etag: string | undefined;
  /** What this run last read or wrote, so an unchanged manifest is not written again. */
  private lastText: string | undefined;
  private seen = false;
  private bucketChecked = false;
  private lock: { etag: string; info: LockInfo } | undefined;

  constructor(
    private readonly s3: Send,
    readonly loc: S3StateLocation,
    readonly app: string,
    readonly env: string,
    private readonly options: S3StoreOptions = {},
  ) {
    this.keys = stateKeys(loc, app, env);
    this.location = s3Url(loc.bucket, this.keys.state);
    this.lockLocation = s3Url(loc.bucket, this.keys.lock);
  }

  /** The bucket exists and keeps versions (checked once per run, before the first read or lock). */
  async checkBucket(): Promise<void> {
    if (this.bucketChecked) return;
    let versioning: string | undefined;
    try {
      versioning = (await this.s3.send(new GetBucketVersioningCommand({ Bucket: this.loc.bucket }))).Status;
    } catch (err) {
      throw this.explain(err, `reading the versioning of the state bucket ${this.loc.bucket}`);
    }
    if (versioning !== 'Enabled') {
      throw new EcsKitError(
        'state.versioning',
        `The state bucket ${this.loc.bucket} does not have versioning on (it is ${versioning ?? 'off'}).`,
        {
          why: 'Without versions, a damaged or overwritten manifest cannot be restored, and ecs-kit would lose track of what it created.',
          fix: `Run ecs-kit state init --bucket ${this.loc.bucket} (or: aws s3api put-bucket-versioning --bucket ${this.loc.bucket} --versioning-configuration Status=Enabled).`,
        },
      );
    }
    this.bucketChecked = true;
  }

  async read(): Promise<Manifest | undefined> {
    await this.checkBucket();
    const got = await this.getText(this.keys.state, `reading the state ${this.location}`);
    this.seen = true;
    this.etag = got?.etag;
    this.lastText = got?.text;
    return got ? parseManifest(got.text, this.location) : undefined;
  }

  async write(manifest: Manifest): Promise<void> {
    const text = serializeManifest(manifest);
    if (this.seen && text === this.lastText) return;
    if (!this.seen) await this.read();
    const condition = this.etag ? { IfMatch: this.etag } : { IfNoneMatch: '*' };
    try {
      this.etag = await this.put(this.keys.state, text, condition);
      this.lastText = text;
    } catch (err) {
      if (!lostRace(err)) throw this.explain(err, `writing the state ${this.location}`);
      // A retried request whose first answer was lost also gets 412: then the object is what we wrote.
      const now = await this.getText(this.keys.state, `reading the state ${this.location}`);
      if (now?.text === text) {
        this.etag = now.etag;
        this.lastText = text;
        return;
      }
      throw this.conflictError(now?.text);
    }
  }

  private conflictError(newer: string | undefined): EcsKitError {
    let by = '';
    try {
      const m = newer ? (JSON.parse(newer) as Partial<Manifest>) : undefined;
      if (m?.updatedAt) by = ` (it was last written at ${m.updatedAt})`;
    } catch {
      /* the message still says what happened */
    }
    return new EcsKitError(
      'state.conflict',
      `The state ${this.location} was changed by someone else since this run read it${by}; nothing was overwritten.`,
      {
        why: 'Another run wrote the manifest while this one held what it thought was the lock (it was broken with --force-unlock, or written with state push).',
        fix: 'Run the command again: it reads the newer state and continues from there. Check who else deploys this environment.',
      },
    );
  }

  async acquireLock(command: string, opts: { forceUnlock?: boolean } = {}): Promise<{ broke?: LockInfo }> {
    await this.checkBucket();
    const info = newLockInfo(command);
    const body = JSON.stringify(info);
    let broke: LockInfo | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const etag = await this.put(this.keys.lock, body, { IfNoneMatch: '*' });
        this.lock = { etag, info };
        return broke ? { broke } : {};
      } catch (err) {
        if (!lostRace(err)) throw this.explain(err, `taking the lock ${this.lockLocation}`);
      }
      const holder = await this.holderWithEtag();
      if (!holder) continue; // released in between: try again
      if (holder.info.id === info.id) {
        // Our own create, retried after its answer was lost.
        this.lock = { etag: holder.etag, info };
        return broke ? { broke } : {};
      }
      if (opts.forceUnlock || this.isOwnDeadRun(holder.info)) {
        await this.deleteLock(holder.etag);
        broke = holder.info;
        continue;
      }
      throw lockHeldError(this.env, holder.info, `delete ${this.lockLocation}`);
    }
    throw new EcsKitError('lock.held', `Could not take the lock ${this.lockLocation}: other runs kept taking it.`, {
      fix: 'Run ecs-kit state show to see who holds it, then run the command again.',
    });
  }

  /** A lock left by a run of this checkout on this host whose process is gone (killed, crashed): taken over like a local one. */
  private isOwnDeadRun(h: LockInfo): boolean {
    return h.host === newLockInfo('').host && h.cwd === process.cwd() && !isAlive(h.pid);
  }

  async lockHolder(): Promise<LockInfo | undefined> {
    return (await this.holderWithEtag())?.info;
  }

  private async holderWithEtag(): Promise<{ info: LockInfo; etag: string } | undefined> {
    const got = await this.getText(this.keys.lock, `reading the lock ${this.lockLocation}`);
    if (!got) return undefined;
    let info: LockInfo;
    try {
      info = JSON.parse(got.text) as LockInfo;
    } catch {
      info = { pid: 0, host: 'unknown', startedAt: 'unknown', command: 'unknown (the lock object is not ecs-kit JSON)' };
    }
    return { info, etag: got.etag };
  }

  async breakLock(): Promise<LockInfo | undefined> {
    const holder = await this.holderWithEtag();
    if (holder) await this.deleteLock(holder.etag);
    return holder?.info;
  }

  async releaseLock(): Promise<void> {
    const held = this.lock;
    if (!held) return;
    this.lock = undefined;
    // Only our own lock: after a --force-unlock by someone else, theirs stays.
    await this.deleteLock(held.etag).catch(() => undefined);
  }

  /** Conditional delete of a lock version we looked at; gone already or replaced since: nothing to do. */
  private async deleteLock(etag: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.keys.lock, IfMatch: etag }));
    } catch (err) {
      if (lostRace(err) || missing(err)) return;
      throw this.explain(err, `deleting the lock ${this.lockLocation}`);
    }
  }

  /**
   * After a complete teardown: every version of the environment's state object, and of its lock (this run's lock
   * included, which releases it), so nothing of the environment is left in the bucket.
   */
  async remove(): Promise<void> {
    for (const key of [this.keys.state, this.keys.lock]) await this.deleteAllVersions(key);
    this.lock = undefined;
    this.etag = undefined;
    this.lastText = undefined;
  }

  private async deleteAllVersions(key: string): Promise<void> {
    const where = s3Url(this.loc.bucket, key);
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      let page;
      try {
        page = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.loc.bucket, Prefix: key, ...markers }));
      } catch (err) {
        throw this.explain(err, `listing the versions of ${where}`);
      }
      const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) => v.Key === key && v.VersionId);
      for (const v of versions) {
        try {
          await this.s3.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: key, VersionId: v.VersionId }));
        } catch (err) {
          if (!missing(err)) throw this.explain(err, `deleting a version of ${where}`);
        }
      }
      if (!page.IsTruncated) return;
      markers = { KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker };
    }
  }

  private async getText(key: string, action: string): Promise<{ text: string; etag: string } | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: key }));
      return { text: (await out.Body?.transformToString('utf8')) ?? '', etag: out.ETag ?? '' };
    } catch (err) {
      if (missing(err)) return undefined;
      throw this.explain(err, action);
    }
  }

  /** A conditional PutObject; retries a 409 (a concurrent conditional write) as AWS advises. Returns the new ETag. */
  private async put(key: string, body: string, condition: { IfMatch: string } | { IfNoneMatch: string }): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await this.s3.send(
          new PutObjectCommand({ Bucket: this.loc.bucket, Key: key, Body: body, ContentType: 'application/json', ...condition }),
        );
        return out.ETag ?? '';
      } catch (err) {
        if (!inFlight(err) || attempt >= 4) throw err;
        await new Promise((r) => setTimeout(r, (this.options.conflictDelayMs ?? 250) * attempt));
      }
    }
  }

  private explain(err: unknown, action: string): EcsKitError {
    if (err instanceof EcsKitError) return err;
    if (isAwsError(err, 'NoSuchBucket')) {
      return new EcsKitError('state.no-bucket', `The state bucket ${this.loc.bucket} does not exist.`, {
        fix: `Create it with ecs-kit state init --bucket ${this.loc.bucket}, or fix state.bucket in ecs-kit.yml (or --state).`,
      });
    }
    if (status(err) === 403 || isAwsError(err, 'AccessDenied')) {
      return new EcsKitError('aws.access-denied', `Access to the state bucket ${this.loc.bucket} was denied while ${action}.`, {
        why: 'Reading and writing the state needs s3:GetObject, s3:PutObject and s3:DeleteObject on its objects, and s3:ListBucket and s3:GetBucketVersioning on the bucket (S3 answers 403 instead of 404 for a missing object without s3:ListBucket).',
        fix: 'Attach the policy `ecs-kit iam-policy` prints (it includes exactly these), or check the bucket policy.',
      });
    }
    return explainAwsError(err, action);
  }
}
