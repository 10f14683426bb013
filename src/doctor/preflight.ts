import type { Config } from '../config/schema.js';
import { UsageError } from '../errors.js';

/**
 * The doctor checks cheap enough to run at the start of every deploy and plan: pure, no AWS
 * call, so a no-op deploy makes no extra call. The ones that need AWS stay in `ecs-kit doctor`.
 */

const ACM_ARN_RE = /^arn:(aws[a-z-]*):acm:([a-z0-9-]+):(\d{12}):certificate\/.+$/;

/** Region and account of an ACM certificate ARN; undefined for IAM server certificates, which are global. */
export function acmArnParts(arn: string): { partition: string; region: string; account: string } | undefined {
  const m = ACM_ARN_RE.exec(arn);
  return m ? { partition: m[1]!, region: m[2]!, account: m[3]! } : undefined;
}

/**
 * Finding #7: "Certificates in ACM are regional resources… You cannot copy a certificate between
 * regions" (ACM User Guide, https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html), so
 * the load balancer can use only a certificate from its own region (CreateListener fails otherwise).
 * Pure: deploy and plan run it before planning, doctor as part of its certificate check.
 */
export function certificateRegionProblem(config: Config, region: string): { message: string; fix: string } | undefined {
  const arn = config.loadBalancer?.certificateArn;
  const parts = arn ? acmArnParts(arn) : undefined;
  if (!parts || parts.region === region) return undefined;
  return {
    message: `loadBalancer.certificateArn: the certificate is in ${parts.region}, but this deploy goes to ${region}.`,
    fix: `ACM certificates are regional; request or import one in ${region} and put its ARN in loadBalancer.certificateArn (or deploy to ${parts.region}).`,
  };
}

/** Run before planning in deploy and plan: bad input exits 2 before anything changes. */
export function preflight(config: Config, region: string): void {
  const certificate = certificateRegionProblem(config, region);
  if (certificate) throw new UsageError(certificate.message, certificate.fix, 'config.certificate-region');
}
