import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { describe, expect, it } from 'vitest';
import { certificateCheck } from '../../../src/doctor/certificate.js';
import { acmArnParts, certificateRegionProblem, preflight } from '../../../src/doctor/preflight.js';
import { ACCOUNT, awsError, calls, doctorContext, mocks, useStrictMocks } from './fixture.js';

useStrictMocks();

const ARN = (region: string, account = ACCOUNT) => `arn:aws:acm:${region}:${account}:certificate/0a1b2c3d-1111-2222-3333-444455556666`;
const withCert = (arn: string) => `app: shop\nloadBalancer:\n  certificateArn: "${arn}"\nservices:\n  web: { image: nginx, port: 80 }\n`;
const issued = (o: Record<string, unknown> = {}) => ({
  Certificate: { CertificateArn: ARN('us-east-1'), DomainName: 'shop.example.com', Status: 'ISSUED' as const, ...o },
});

describe('certificate region (finding #7), also run by deploy and plan', () => {
  it('reads region and account from an ACM ARN; IAM server certificates are global', () => {
    expect(acmArnParts(ARN('eu-west-1'))).toEqual({ partition: 'aws', region: 'eu-west-1', account: ACCOUNT });
    expect(acmArnParts(`arn:aws:iam::${ACCOUNT}:server-certificate/shop`)).toBeUndefined();
  });

  it('names the field and the fix for a certificate from another region; none for the same region or no certificate', () => {
    expect(certificateRegionProblem(doctorContext(withCert(ARN('eu-west-1'))).config, 'us-east-1')).toEqual({
      message: 'loadBalancer.certificateArn: the certificate is in eu-west-1, but this deploy goes to us-east-1.',
      fix: 'ACM certificates are regional; request or import one in us-east-1 and put its ARN in loadBalancer.certificateArn (or deploy to eu-west-1).',
    });
    expect(certificateRegionProblem(doctorContext(withCert(ARN('us-east-1'))).config, 'us-east-1')).toBeUndefined();
    expect(certificateRegionProblem(doctorContext().config, 'us-east-1')).toBeUndefined();
  });

  it('preflight turns it into a usage error (exit 2)', () => {
    expect(() => preflight(doctorContext(withCert(ARN('eu-west-1'))).config, 'us-east-1')).toThrow(
      expect.objectContaining({ exitCode: 2, code: 'config.certificate-region' }),
    );
    expect(() => preflight(doctorContext(withCert(`arn:aws:iam::${ACCOUNT}:server-certificate/shop`)).config, 'us-east-1')).not.toThrow();
  });
});

describe('certificate check', () => {
  it('skips without a certificate', async () => {
    expect((await certificateCheck.run(doctorContext())).status).toBe('skip');
  });

  it('fails a certificate from another region without any AWS call (even without credentials)', async () => {
    const r = await certificateCheck.run(doctorContext(withCert(ARN('eu-west-1')), { identity: false }));
    expect(r.status).toBe('fail');
    expect(r.fix).toMatch(/^ACM certificates are regional; request or import one in us-east-1/);
    expect(calls()).toEqual([]);
  });

  it('fails a certificate of another account', async () => {
    const r = await certificateCheck.run(doctorContext(withCert(ARN('us-east-1', '999999999999'))));
    expect(r).toMatchObject({ status: 'fail', message: expect.stringMatching(/belongs to account 999999999999/) });
    expect(calls()).toEqual([]);
  });

  it('is ok for an ISSUED certificate (ACM DescribeCertificate)', async () => {
    mocks.acm
      .on(DescribeCertificateCommand, { CertificateArn: ARN('us-east-1') })
      .resolves(issued({ NotAfter: new Date('2030-01-31T00:00:00Z') }));
    expect(await certificateCheck.run(doctorContext(withCert(ARN('us-east-1'))))).toEqual({
      status: 'ok',
      message: 'shop.example.com is ISSUED until 2030-01-31',
    });
    expect(calls()).toEqual(['DescribeCertificate']);
  });

  it('warns while it is PENDING_VALIDATION, fails when EXPIRED, REVOKED, … or missing', async () => {
    const ctx = doctorContext(withCert(ARN('us-east-1')));
    mocks.acm.on(DescribeCertificateCommand).resolves(issued({ Status: 'PENDING_VALIDATION' }));
    expect(await certificateCheck.run(ctx)).toMatchObject({
      status: 'warn',
      message: 'shop.example.com is not issued yet (PENDING_VALIDATION)',
    });
    for (const status of ['EXPIRED', 'REVOKED', 'FAILED', 'VALIDATION_TIMED_OUT', 'INACTIVE']) {
      mocks.acm.on(DescribeCertificateCommand).resolves(issued({ Status: status }));
      expect(await certificateCheck.run(ctx)).toMatchObject({ status: 'fail', message: `shop.example.com is ${status}, not ISSUED` });
    }
    mocks.acm.on(DescribeCertificateCommand).rejects(awsError('ResourceNotFoundException'));
    expect((await certificateCheck.run(ctx)).status).toBe('fail');
  });

  it('warns about an imported certificate that expires within 30 days (ACM renews only its own)', async () => {
    mocks.acm.on(DescribeCertificateCommand).resolves(issued({ Type: 'IMPORTED', NotAfter: new Date(Date.now() + 5 * 86_400_000) }));
    expect((await certificateCheck.run(doctorContext(withCert(ARN('us-east-1'))))).status).toBe('warn');
  });
});
