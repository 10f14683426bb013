import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { identify, isMutating, type RecordedCall, type RecordingProxy } from '../proxy.js';
import { protocolOf, writeAwsError } from '../wire.js';
import { writeHits } from './hits.js';
import { checkRuleIds, RULES } from './registry.js';
import { DEFAULT_ACCOUNT, StateStore } from './state.js';
import { track } from './track.js';
import { DEFAULT_WINDOWS, type AwsRequest, type RawAnswer, type RuleContext, type S3Request, type Windows } from './types.js';

/**
 * The strict AWS layer: a loopback proxy in front of moto that enforces AWS's documented rules
 * and real timing (names, eventual consistency, service-linked roles, draining deletes,
 * provisioning states, ECS preconditions) and records every call like the recording proxy, so
 * e2e tests prove ecs-kit converges in one run on real AWS, not only on a lenient emulator.
 * Rules live in ./registry.ts; each can be switched off by id.
 */

export interface StrictOptions {
  /** Rule ids to switch off. `ECS_KIT_STRICT_OFF` (comma-separated ids, or `all`) adds to it for a whole run. */
  off?: string[];
  /** Only these rules are on (self-tests of one rule). */
  only?: string[];
  windows?: Partial<Windows>;
  /** Names this proxy in the suite's hit table. */
  label?: string;
  /**
   * Added to every AWS call before it is handled, as a slow in-region round trip would (`npm run bench` uses it to count
   * the calls on a run's critical path). 0 by default.
   */
  latencyMs?: number;
}

export interface SentCall extends RecordedCall {
  /** What the caller sent: the awsJson body, or the EC2/awsQuery form fields. */
  params: Record<string, unknown>;
  /** The rule that answered instead of moto. */
  answeredBy?: string;
  /** The AWS error code the layer answered with. */
  error?: string;
  /** When the call arrived and when its answer was sent (ms since the epoch): `npm run bench` finds the critical path with them. */
  startedAt: number;
  endedAt?: number;
}

export interface StrictProxy extends RecordingProxy {
  /** Every AWS call with what was sent, in arrival order (cleared with `calls`). */
  sent: SentCall[];
  /** The calls of one operation, with what was sent. */
  sentOf(operation: string): SentCall[];
  /** Hits per rule id over this proxy's life (not cleared). */
  hits: Record<string, number>;
  /** The rule ids that are on. */
  enabled: ReadonlySet<string>;
  windows: Windows;
  /**
   * Holds the first call that matches (its answer waits) until `release()`: a test can keep one run inside its work,
   * holding its lock, while another run starts. `reached` resolves when the call arrives.
   */
  hold(match: (call: SentCall) => boolean): { reached: Promise<void>; release(): void };
}

function enabledRules(opts: StrictOptions): Set<string> {
  const fromEnv = (process.env.ECS_KIT_STRICT_OFF ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const off = [...(opts.off ?? []), ...fromEnv.filter((id) => id !== 'all')];
  checkRuleIds(off, 'off / ECS_KIT_STRICT_OFF');
  if (opts.only) checkRuleIds(opts.only, 'only');
  if (fromEnv.includes('all')) return new Set();
  return new Set(RULES.map((r) => r.id).filter((id) => !off.includes(id) && (!opts.only || opts.only.includes(id))));
}

function s3Request(method: string, headers: IncomingHttpHeaders, url: string, body: string): S3Request {
  const u = new URL(url, 'http://s3.local');
  const [, bucket = '', ...key] = u.pathname.split('/');
  const h = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    method,
    bucket: decodeURIComponent(bucket),
    key: decodeURIComponent(key.join('/')),
    query: u.searchParams,
    ifMatch: h('if-match'),
    ifNoneMatch: h('if-none-match'),
    body,
  };
}

function parse(headers: IncomingHttpHeaders, url: string, body: string, method: string): AwsRequest {
  const { service, operation } = identify(headers, url, body, method);
  const protocol = protocolOf(headers, service);
  const account = String(headers['x-moto-account-id'] ?? DEFAULT_ACCOUNT);
  if (protocol === 's3') {
    const s3 = s3Request(method, headers, url, body);
    return { service, operation, mutating: isMutating(operation), protocol, account, form: {}, json: {}, s3 };
  }
  let json: Record<string, unknown> = {};
  let form: Record<string, string> = {};
  if (protocol === 'json' || protocol === 'cloudwatch-json') {
    try {
      json = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      json = {};
    }
  } else {
    form = Object.fromEntries(new URLSearchParams(body));
  }
  // REST-JSON (Scheduler) names the resource in the path: /schedules/<Name>?groupName=….
  if (service === 'scheduler') {
    const [path, query] = url.split('?');
    const last = path?.split('/')[2];
    if (last !== undefined && json.Name === undefined) json.Name = decodeURIComponent(last);
    const group = new URLSearchParams(query ?? '').get('groupName');
    if (group !== null && json.GroupName === undefined) json.GroupName = group;
  }
  return { service, operation, mutating: isMutating(operation), protocol, account, form, json };
}

type Upstream = RawAnswer & { headers: IncomingHttpHeaders; body: Buffer };

/** What a test sees of a call: the awsJson body, the query/EC2 form fields, or S3's bucket, key and conditions. */
function paramsOf(aws: AwsRequest): Record<string, unknown> {
  if (aws.s3) {
    const { bucket, key, ifMatch, ifNoneMatch, query } = aws.s3;
    const versionId = query.get('versionId');
    return {
      Bucket: bucket,
      ...(key ? { Key: key } : {}),
      ...(ifMatch ? { IfMatch: ifMatch } : {}),
      ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}),
      ...(versionId ? { VersionId: versionId } : {}),
    };
  }
  return aws.protocol === 'json' || aws.protocol === 'cloudwatch-json' ? aws.json : aws.form;
}

function send(target: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer | string): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const out = request({ host: target.hostname, port: target.port, method, path, headers: { ...headers, host: target.host } }, (up) => {
      const parts: Buffer[] = [];
      up.on('data', (c: Buffer) => parts.push(c));
      up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(parts) }));
      up.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function reply(res: ServerResponse, status: number, headers: IncomingHttpHeaders, body: Buffer | string): void {
  const { 'transfer-encoding': _te, 'content-length': _cl, ...rest } = headers;
  res.writeHead(status, { ...rest, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export async function startStrictProxy(target: string, opts: StrictOptions = {}): Promise<StrictProxy> {
  const upstream = new URL(target);
  const windows: Windows = { ...DEFAULT_WINDOWS, ...opts.windows };
  const enabled = enabledRules(opts);
  const rules = RULES.filter((r) => enabled.has(r.id));
  const states = new StateStore();
  const calls: RecordedCall[] = [];
  const sent: SentCall[] = [];
  const hits: Record<string, number> = Object.fromEntries(RULES.map((r) => [r.id, 0]));
  const sockets = new Set<Socket>();

  const contextFor = (req: AwsRequest, forward: () => Promise<RawAnswer>): RuleContext => ({
    state: states.get(req.account),
    windows,
    now: Date.now(),
    upstream: async (call) => {
      const headers: IncomingHttpHeaders = {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/${call.service}/aws4_request, SignedHeaders=host, Signature=0`,
        ...(req.account !== DEFAULT_ACCOUNT ? { 'x-moto-account-id': req.account } : {}),
      };
      const out = await send(upstream, 'POST', '/', headers, new URLSearchParams(call.form).toString());
      return { status: out.status, body: out.body.toString('utf8') };
    },
    forward,
    rest: async (method, path, body = '') => {
      const headers: IncomingHttpHeaders = {
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`,
        ...(req.account !== DEFAULT_ACCOUNT ? { 'x-moto-account-id': req.account } : {}),
      };
      return send(upstream, method, path, headers, body);
    },
  });

  const holds: { match: (call: SentCall) => boolean; arrived: () => void; released: Promise<void> }[] = [];
  const hold = (match: (call: SentCall) => boolean) => {
    let arrived = () => {};
    let release = () => {};
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    holds.push({ match, arrived, released });
    return { reached, release };
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const startedAt = Date.now();
    const url = req.url ?? '/';
    if (url.startsWith('/moto-api')) {
      const up = await send(upstream, req.method ?? 'GET', url, req.headers, body);
      return reply(res, up.status, up.headers, up.body);
    }
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    const method = req.method ?? 'POST';
    const aws = parse(req.headers, url, body.toString('utf8'), method);
    const call: RecordedCall = { service: aws.service, operation: aws.operation, mutating: aws.mutating };
    const entry: SentCall = { ...call, params: paramsOf(aws), startedAt };
    res.once('finish', () => (entry.endedAt = Date.now()));
    calls.push(call);
    sent.push(entry);
    const held = holds.findIndex((h) => h.match(entry));
    if (held >= 0) {
      const [h] = holds.splice(held, 1);
      h!.arrived();
      await h!.released;
    }
    const ctx = contextFor(aws, () => send(upstream, method, url, req.headers, body));

    for (const rule of rules) {
      const verdict = await rule.check?.(aws, ctx);
      if (!verdict) continue;
      if ('raw' in verdict && verdict.passedOn) return reply(res, verdict.raw.status, verdict.raw.headers, verdict.raw.body);
      hits[rule.id]! += 1;
      entry.answeredBy = rule.id;
      if ('error' in verdict) {
        entry.error = verdict.error.code;
        return writeAwsError(res, aws.protocol, verdict.error, `strict-${rule.id}`);
      }
      if ('raw' in verdict) return reply(res, verdict.raw.status, verdict.raw.headers, verdict.raw.body);
      return reply(res, 200, { 'content-type': 'text/xml' }, verdict.answer);
    }

    const up = await send(upstream, method, url, req.headers, body);
    if (up.status < 200 || up.status >= 300) return reply(res, up.status, up.headers, up.body);
    let text = up.body.toString('utf8');
    const after = { ...ctx, now: Date.now() };
    for (const rule of rules) {
      const rewritten = rule.rewrite?.(aws, text, after);
      if (rewritten === undefined) continue;
      hits[rule.id]! += 1;
      text = rewritten;
    }
    // Trackers see what the caller will see; the model of the account follows every success.
    track(aws, text, after);
    reply(res, up.status, up.headers, text);
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`strict layer: ${err.message}`);
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let stopped = false;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    sent,
    hits,
    enabled,
    windows,
    sentOf: (operation) => sent.filter((c) => c.operation === operation),
    hold,
    clear: () => {
      calls.splice(0, calls.length);
      sent.splice(0, sent.length);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        stopped = true;
        writeHits({ label: opts.label ?? 'strict', hits });
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
