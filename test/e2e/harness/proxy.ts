import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  service: string;
  operation: string;
  mutating: boolean;
}

export interface RecordingProxy {
  endpoint: string;
  /** Every AWS call that went through, in arrival order. */
  calls: RecordedCall[];
  clear(): void;
  stop(): Promise<void>;
}

// Deliberately not imported from src/aws/operations.ts: the harness must not trust product code.
const READ_PREFIXES = ['Describe', 'List', 'Get', 'BatchGet', 'BatchCheck', 'Filter', 'Head', 'Lookup', 'Search', 'Validate'];

export function isMutating(operation: string): boolean {
  return !READ_PREFIXES.some((p) => operation.startsWith(p));
}

/** Bucket-level S3 subresources (path-style `/<bucket>/?<sub>`) → the operation, by HTTP method. */
const S3_BUCKET_OPS: Record<string, Record<string, string>> = {
  versioning: { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' },
  tagging: { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' },
  publicAccessBlock: { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' },
  encryption: { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' },
  lifecycle: { GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration' },
  versions: { GET: 'ListObjectVersions' },
  delete: { POST: 'DeleteObjects' },
};

/** S3 is REST: the SDK names object operations in `x-id`; bucket operations are a method plus a subresource. */
export function s3Operation(method: string, url: string): string {
  const u = new URL(url, 'http://s3.local');
  const xid = u.searchParams.get('x-id');
  if (xid) return xid;
  const [, bucket = '', ...key] = u.pathname.split('/');
  if (key.join('/')) return method === 'HEAD' ? 'HeadObject' : 'Unknown';
  for (const [sub, ops] of Object.entries(S3_BUCKET_OPS)) if (u.searchParams.has(sub) && ops[method]) return ops[method];
  if (u.searchParams.get('list-type') === '2') return 'ListObjectsV2';
  const plain: Record<string, string> = {
    HEAD: 'HeadBucket',
    PUT: 'CreateBucket',
    DELETE: 'DeleteBucket',
    GET: bucket ? 'ListObjects' : 'ListBuckets',
  };
  return plain[method] ?? 'Unknown';
}

/**
 * EventBridge Scheduler speaks REST-JSON: the operation is the method and path (Scheduler API reference):
 * /schedules/{Name} and /schedule-groups/{Name} (GET, POST create, PUT update, DELETE), /tags/{arn}.
 */
export function restOperation(method: string, url: string): string | undefined {
  const path = url.split('?')[0] ?? '';
  const kind = /^\/(schedules|schedule-groups|tags)(\/[^/]+)?$/.exec(path);
  if (!kind) return undefined;
  const one = kind[2] !== undefined;
  if (kind[1] === 'tags') return { GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' }[method];
  const noun = kind[1] === 'schedules' ? 'Schedule' : 'ScheduleGroup';
  if (!one) return method === 'GET' ? `List${noun}s` : undefined;
  return { GET: `Get${noun}`, POST: `Create${noun}`, PUT: `Update${noun}`, DELETE: `Delete${noun}` }[method];
}

/** Works out service and operation from what the SDK put on the wire (awsJson, awsQuery/EC2, rpcv2, S3 REST, Scheduler's REST-JSON). */
export function identify(headers: IncomingHttpHeaders, url: string, body: string, method = 'POST'): { service: string; operation: string } {
  const target = header(headers, 'x-amz-target');
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(header(headers, 'authorization'));
  let operation = 'Unknown';
  let service = scope?.[1] ?? 'unknown';
  if (service === 's3') return { service, operation: s3Operation(method, url) };
  if (target) {
    const dot = target.lastIndexOf('.');
    operation = target.slice(dot + 1);
    if (!scope) service = target.slice(0, dot);
  } else {
    const action = /(?:^|&)Action=([^&]+)/.exec(body) ?? /[?&]Action=([^&]+)/.exec(url);
    const rpc = /\/operation\/([A-Za-z0-9]+)/.exec(url);
    if (action) operation = decodeURIComponent(action[1]!);
    else if (rpc) operation = rpc[1]!;
    else if (service === 'scheduler') operation = restOperation(method, url) ?? 'Unknown';
  }
  return { service, operation };
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/**
 * A loopback HTTP proxy in front of moto that records every AWS call. moto checks no
 * signatures, so the changed Host header is harmless. /moto-api/* passes through unrecorded.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      if (!url.startsWith('/moto-api')) {
        const { service, operation } = identify(req.headers, url, body.toString('utf8'), req.method);
        calls.push({ service, operation, mutating: isMutating(operation) });
      }
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: url,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`recording proxy: upstream error: ${err.message}`);
      });
      out.end(body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    clear: () => void calls.splice(0, calls.length),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
