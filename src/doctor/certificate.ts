import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { isAwsError } from '../aws/errors.js';
import { acmArnParts, certificateRegionProblem } from './preflight.js';
import type { DoctorCheck } from './types.js';

const DAY_MS = 86_400_000;

/**
 * 6. The HTTPS certificate: in the deploy region (no AWS call), in this account, and ISSUED
 * (ACM DescribeCertificate; statuses PENDING_VALIDATION | ISSUED | INACTIVE | EXPIRED |
 * VALIDATION_TIMED_OUT | REVOKED | FAILED, ACM API reference, CertificateDetail).
 */
export const certificateCheck: DoctorCheck = {
  name: 'certificate',
  needsIdentity: false,
  async run(ctx) {
    const arn = ctx.config.loadBalancer?.certificateArn;
    if (!arn) return { status: 'skip', message: 'no loadBalancer.certificateArn: the load balancer serves plain HTTP' };
    const parts = acmArnParts(arn);
    if (!parts) return { status: 'skip', message: 'an IAM server certificate (global); ecs-kit does not check its status' };
    const wrongRegion = certificateRegionProblem(ctx.config, ctx.region);
    if (wrongRegion) return { status: 'fail', ...wrongRegion };
    if (!ctx.identity) return { status: 'skip', message: `in ${ctx.region}; its status needs AWS credentials (see credentials)` };
    if (parts.account !== ctx.identity.account) {
      return {
        status: 'fail',
        message: `loadBalancer.certificateArn belongs to account ${parts.account}, but you deploy to account ${ctx.identity.account}`,
        fix: `A load balancer can use only certificates of its own account: request or import one in account ${ctx.identity.account}.`,
      };
    }
    let cert;
    try {
      cert = (await (await ctx.aws.acm()).send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
    } catch (err) {
      if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
    }
    if (!cert) {
      const fix = 'Check the ARN in ACM (aws acm list-certificates) and fix loadBalancer.certificateArn.';
      return { status: 'fail', message: `no certificate ${arn} in ${ctx.region}`, fix };
    }
    const name = cert.DomainName ?? arn;
    const status = cert.Status ?? 'unknown';
    if (status === 'PENDING_VALIDATION') {
      const fix = 'Complete its DNS or email validation in ACM; the HTTPS listener can use it only once it is ISSUED.';
      return { status: 'warn', message: `${name} is not issued yet (PENDING_VALIDATION)`, fix };
    }
    if (status !== 'ISSUED') {
      const fix = `Request or import a new certificate in ${ctx.region} and put its ARN in loadBalancer.certificateArn.`;
      return { status: 'fail', message: `${name} is ${status}, not ISSUED`, fix };
    }
    const until = cert.NotAfter ? ` until ${cert.NotAfter.toISOString().slice(0, 10)}` : '';
    // ACM renews the certificates it issued, never imported ones (ACM User Guide, "Managed certificate renewal").
    if (cert.Type === 'IMPORTED' && cert.NotAfter && cert.NotAfter.getTime() - Date.now() < 30 * DAY_MS) {
      const fix = 'Import a renewed certificate into the same ARN (aws acm import-certificate --certificate-arn …).';
      return { status: 'warn', message: `${name} is ISSUED but expires${until}, and ACM does not renew imported certificates`, fix };
    }
    return { status: 'ok', message: `${name} is ISSUED${until}` };
  },
};
