import { EcsKitError } from '../errors.js';

type AwsLikeError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; code?: string };

export function errorName(err: unknown): string {
  if (!err || typeof err !== 'object') return '';
  const e = err as AwsLikeError;
  return e.name || e.Code || e.code || '';
}

/** True when the error is one of the given AWS error names (exact) — e.g. a "not found" on delete. */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  const n = errorName(err);
  return names.includes(n);
}

/** Message text contains a fragment (some APIs reuse one error code for many cases). */
export function messageIncludes(err: unknown, fragment: string): boolean {
  return err instanceof Error && err.message.toLowerCase().includes(fragment.toLowerCase());
}

const CREDENTIAL_ERRORS = [
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AuthFailure',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
];
/** System error codes that mean the endpoint could not be reached or the connection broke. */
export const NETWORK_ERROR_CODES = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
];

/** What a network error code means, in words. */
const SYS_CODE_MEANING: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening there',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be looked up',
  ETIMEDOUT: 'no answer in time',
  ECONNRESET: 'the connection was dropped',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the network',
};

/** " at 127.0.0.1:5000" or " at sts.us-east-1.amazonaws.com": Node puts where it tried on the error. */
function whereTo(e: { address?: unknown; port?: unknown; hostname?: unknown; cause?: unknown } | undefined): string {
  const src = (e ?? {}) as {
    address?: unknown;
    port?: unknown;
    hostname?: unknown;
    cause?: { address?: unknown; port?: unknown; hostname?: unknown };
  };
  const at = [src, src.cause ?? {}].find((x) => typeof x.address === 'string' || typeof x.hostname === 'string');
  if (!at) return '';
  if (typeof at.address === 'string') return ` at ${at.address}${typeof at.port === 'number' ? `:${at.port}` : ''}`;
  return ` at ${String(at.hostname)}`;
}

/**
 * Turn an AWS SDK error into words: what failed, why, what to do. `action` is a short
 * description of what we were doing ("creating the VPC").
 */
export function explainAwsError(err: unknown, action: string): EcsKitError {
  if (err instanceof EcsKitError) return err;
  const e = err as AwsLikeError;
  const name = errorName(err);
  const message = e?.message ?? String(err);
  const status = e?.$metadata?.httpStatusCode;
  const sysCode = (e as NodeJS.ErrnoException)?.code ?? (e as { cause?: NodeJS.ErrnoException })?.cause?.code;
  const what = `Failed while ${action}.`;

  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new EcsKitError('aws.credentials', what, {
      why: 'No AWS credentials were found.',
      fix: 'Set AWS_PROFILE (or pass --profile), run `aws configure`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.',
      cause: err,
    });
  }
  // EC2 says AuthFailure "You do not have permission to access the specified resource" for a
  // resource it has not let go of yet, e.g. ReleaseAddress right after a NAT gateway's deletion
  // (kubernetes/kops#938, eformat/sno-for-100#9). The credentials worked: do not blame them.
  if (name === 'AuthFailure' && /permission to access the specified resource/i.test(message)) {
    return new EcsKitError('aws.not-released', what, {
      why: `AWS refused access to the resource (${name}: ${message}). EC2 answers this while it still holds the resource for something that was just deleted, such as the Elastic IP of a NAT gateway.`,
      fix: 'Wait a minute and run the command again; it resumes where it stopped. If it keeps failing, check that the resource belongs to this account and region.',
      cause: err,
    });
  }
  if (CREDENTIAL_ERRORS.includes(name)) {
    return new EcsKitError('aws.credentials', what, {
      why: `AWS rejected the credentials (${name}): ${message}`,
      fix: 'Check that the profile or keys are valid and for the right account.',
      cause: err,
    });
  }
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || name === 'RequestExpired') {
    return new EcsKitError('aws.credentials', what, {
      why: 'The AWS session token has expired.',
      fix: 'Refresh your credentials (e.g. `aws sso login`) and run the command again.',
      cause: err,
    });
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(name)) {
    return new EcsKitError('aws.access-denied', what, {
      why: `Your AWS identity is not allowed to do this: ${message}`,
      fix: 'Grant the missing permission to the role or user running ecs-kit, then run the command again; it resumes where it stopped.',
      cause: err,
    });
  }
  if (/LimitExceeded|QuotaExceeded/.test(name) && !/Throttl|RequestLimit/.test(name)) {
    return new EcsKitError('aws.quota', what, {
      why: `An AWS service quota was reached (${name}): ${message}`,
      fix: 'Delete unused resources or request a quota increase in the Service Quotas console.',
      cause: err,
    });
  }
  if (/Throttl|RequestLimitExceeded|TooManyRequests|SlowDown/.test(name)) {
    return new EcsKitError('aws.throttled', what, {
      why: 'AWS kept throttling the requests even after retries.',
      fix: 'Wait a minute and run the command again (it resumes), or raise --max-attempts.',
      cause: err,
    });
  }
  const connection = explainConnection(err, sysCode, message, what);
  if (connection) return connection;
  if (name === 'SyntaxError' || (status !== undefined && status >= 500)) {
    return new EcsKitError('aws.server', what, {
      why: `The AWS endpoint returned an unexpected response${status ? ` (HTTP ${status})` : ''}${name && name !== 'SyntaxError' ? `: ${name}` : ''}.`,
      fix: 'This is usually temporary: run the command again; it resumes where it stopped. If you use --endpoint-url, check that endpoint supports this API.',
      cause: err,
    });
  }
  return new EcsKitError('aws.error', what, {
    why: `${name || 'Error'}: ${message}`,
    fix: 'Fix the cause above and run the command again; ecs-kit resumes where it stopped.',
    cause: err,
  });
}

/** The endpoint could not be reached, or could not be spoken to (TLS against plain HTTP); undefined for other errors. */
function explainConnection(err: unknown, sysCode: string | undefined, message: string, what: string): EcsKitError | undefined {
  // An https:// URL for an endpoint that speaks plain HTTP (a local emulator): OpenSSL reads the HTTP answer as a TLS
  // record and fails with "wrong version number" (EPROTO); the OpenSSL text means nothing to the person who typed the URL.
  if (sysCode === 'EPROTO' || /wrong version number|WRONG_VERSION_NUMBER/i.test(message)) {
    return new EcsKitError('aws.endpoint', what, {
      why: 'The endpoint does not speak TLS: the URL says https://, but the server answered in plain HTTP.',
      fix: 'Use http:// in --endpoint-url (or AWS_ENDPOINT_URL), e.g. http://127.0.0.1:5000 for a local emulator.',
      cause: err,
    });
  }
  if (!sysCode || !NETWORK_ERROR_CODES.includes(sysCode)) return undefined;
  const meaning = SYS_CODE_MEANING[sysCode];
  return new EcsKitError('aws.unreachable', what, {
    why: `Could not reach the AWS endpoint${whereTo(err as object)} (${sysCode}${meaning ? `: ${meaning}` : ''}).`,
    fix: 'Check your network, proxy settings, and --endpoint-url / AWS_ENDPOINT_URL if you set one.',
    cause: err,
  });
}
