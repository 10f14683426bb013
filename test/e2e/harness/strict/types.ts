import type { AwsErrorShape, Protocol } from '../wire.js';
import type { AccountState } from './state.js';

/** One AWS call as the strict layer sees it, parsed once. */
export interface AwsRequest {
  /** Signing name from the credential scope: ec2, iam, elasticloadbalancing, autoscaling, ecs, logs, ssm, application-autoscaling… */
  service: string;
  operation: string;
  mutating: boolean;
  protocol: Protocol;
  /** moto's `x-moto-account-id` header, else moto's default account. */
  account: string;
  /** EC2 and awsQuery: the form fields, flattened as sent (`GroupId`, `Subnets.member.1`, `Filter.1.Value.1`). */
  form: Record<string, string>;
  /** awsJson: the parsed body. */
  json: Record<string, unknown>;
  /** S3 (REST): the bucket and key of the path-style URL, the query and the conditional headers. */
  s3?: S3Request;
}

export interface S3Request {
  method: string;
  bucket: string;
  /** Empty for bucket operations. */
  key: string;
  query: URLSearchParams;
  ifMatch?: string;
  ifNoneMatch?: string;
  body: string;
}

/** An HTTP answer as moto (or the layer) gave it. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | string;
}

/** How long real AWS takes, shrunk so the suite stays fast: the shape matters, not the minutes. */
export interface Windows {
  /** A new EC2 id is invisible to calls that name it. */
  ec2Consistency: number;
  /** A new (or newly filled) instance profile is not yet usable by Auto Scaling. */
  instanceProfile: number;
  /** A new service-linked role cannot be assumed yet. */
  serviceLinkedRole: number;
  /** ENIs of a deleted load balancer, service, NAT gateway or instance are still attached. */
  drain: number;
  /** ReleaseAddress answers AuthFailure after the NAT gateway that held the address shows as deleted. */
  releaseAfterNat: number;
  /** A new NAT gateway is `pending`. */
  natPending: number;
  /** A deleted NAT gateway is `deleting`. */
  natDeleting: number;
  /** A new load balancer is `provisioning`. */
  lbProvisioning: number;
  /** An S3 conditional write is in progress (uploading); another conditional write to the key meanwhile gets 409. */
  s3ConditionalWrite: number;
  /** Service deployments (./deployments.ts): how long a stage without a bake lasts. */
  deploymentStage?: number;
  /** Service deployments: one minute of bake time. */
  bakeMinute?: number;
}

export const DEFAULT_WINDOWS: Windows = {
  ec2Consistency: 1_000,
  instanceProfile: 2_000,
  serviceLinkedRole: 2_000,
  drain: 1_500,
  releaseAfterNat: 2_000,
  natPending: 2_000,
  natDeleting: 1_500,
  lbProvisioning: 2_000,
  s3ConditionalWrite: 100,
};

export interface RuleContext {
  state: AccountState;
  windows: Windows;
  /** When the layer saw the request (ms). */
  now: number;
  /** A read the layer itself makes to moto, in the caller's account (e.g. DescribeTargetGroups). */
  upstream(call: { service: string; form: Record<string, string> }): Promise<{ status: number; body: string }>;
  /** Sends this very request on to moto (a rule that answers after moto did, e.g. once an upload window passed). */
  forward(): Promise<RawAnswer>;
  /** Any other REST request to moto (S3), in the caller's account. */
  rest(method: string, path: string, body?: string): Promise<RawAnswer>;
}

/**
 * What a rule does instead of passing the call on: an AWS error, an answer of its own (a 200 body), or a whole HTTP answer
 * (`passedOn`: moto's own answer, relayed after the rule looked at it; not a hit).
 */
export type Verdict = { error: AwsErrorShape } | { answer: string } | { raw: RawAnswer; passedOn?: boolean };

export interface Rule {
  /** Stable id, `<service>.<rule>`: used to switch it off and in the hit table. */
  id: string;
  description: string;
  /** Where AWS documents the behaviour, or where peers observed it. */
  source: string;
  /** Before moto sees the call: refuse it, answer it, or return undefined to pass it on. */
  check?: (req: AwsRequest, ctx: RuleContext) => Verdict | undefined | Promise<Verdict | undefined>;
  /** After moto answered 2xx: a rewritten body (e.g. a state moto skips), or undefined to keep moto's. */
  rewrite?: (req: AwsRequest, body: string, ctx: RuleContext) => string | undefined;
}

/** Learns from every successful call, whether or not any rule is switched on (rules read what trackers keep). */
export type Tracker = (req: AwsRequest, body: string, ctx: RuleContext) => void;

export function refuse(code: string, message: string, status = 400): Verdict {
  return { error: { code, message, status } };
}

// ---------------------------------------------------------------------------------------
// Reading requests and responses without a full parser: the shapes are small and known.

/** Values of form fields whose key matches `key` (a RegExp over the whole key), in key order. */
export function formValues(form: Record<string, string>, key: RegExp): string[] {
  return Object.entries(form)
    .filter(([k]) => key.test(k))
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([, v]) => v);
}

/** The first `<tag>value</tag>` in an XML body. */
export function xmlValue(body: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body)?.[1];
}

/**
 * Rewrites, for each element that carries an id, the first state tag after it: `<natGatewayId>X</natGatewayId>…<state>S</state>`.
 * `stateOf` returns the new state, or undefined to keep it. moto writes the id before the state within an item.
 */
export function rewriteStates(
  body: string,
  idTag: string,
  statePattern: RegExp,
  stateOf: (id: string, current: string) => string | undefined,
): string {
  const starts = [...body.matchAll(new RegExp(`<${idTag}>([^<]+)</${idTag}>`, 'g'))].map((m) => ({ id: m[1]!, at: m.index }));
  if (!starts.length) return body;
  let out = body.slice(0, starts[0]!.at);
  starts.forEach((m, i) => {
    const segment = body.slice(m.at, starts[i + 1]?.at ?? body.length);
    // Only the first state after the id belongs to this item (`statePattern` captures the state in group 1).
    out += segment.replace(statePattern, (whole: string, state: string) => {
      const next = stateOf(m.id, state);
      return next === undefined ? whole : whole.replace(`>${state}<`, `>${next}<`);
    });
  });
  return out;
}

/** `name`, `name:7` or `arn:…:task-definition/name:7` → `name:7` (or `name` when no revision). */
export function taskDefinitionKey(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** Last path segment of an ECS ARN, or the name itself. */
export function ecsName(ref: string | undefined): string {
  return (ref ?? 'default').slice((ref ?? '').lastIndexOf('/') + 1);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function list<T = Record<string, unknown>>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}
