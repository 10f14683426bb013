import { describe, expect, it } from 'vitest';
import { endpointProblem, explainFirstCall } from '../../../src/cli/aws-target.js';
import { explainAwsError } from '../../../src/aws/errors.js';

const sysError = (code: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { code, $metadata: { attempts: 1 }, ...extra });

describe('endpointProblem', () => {
  it.each([
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:4566', 'http://localhost:4566'],
    ['ecs.example.com', 'https://ecs.example.com'],
  ])('%s needs a scheme: suggests %s', (url, suggestion) => {
    expect(endpointProblem(url, '--endpoint-url')?.fix).toBe(`Write the scheme too: --endpoint-url ${suggestion}`);
  });

  it.each(['http://127.0.0.1:5000', 'https://ecs.us-east-1.amazonaws.com', 'http://[::1]:5000/'])('%s is fine', (url) => {
    expect(endpointProblem(url, '--endpoint-url')).toBeUndefined();
  });

  it('another scheme is refused with an example', () => {
    expect(endpointProblem('ftp://x', 'AWS_ENDPOINT_URL')?.message).toBe('AWS_ENDPOINT_URL: "ftp://x" is not an http:// or https:// URL.');
  });
});

describe('connection errors', () => {
  it('connection refused names where it tried, and the first call names the endpoint and its setting', () => {
    const err = sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5999', { address: '127.0.0.1', port: 5999 });
    expect(explainAwsError(err, 'x').why).toBe(
      'Could not reach the AWS endpoint at 127.0.0.1:5999 (ECONNREFUSED: nothing is listening there).',
    );
    const first = explainFirstCall(err, 'checking your AWS identity', { endpointUrl: 'http://127.0.0.1:5999' }, 'us-east-1', {});
    expect(first.message).toContain('Endpoint: http://127.0.0.1:5999 (from --endpoint-url).');
    expect(first.fix).toContain('--endpoint-url is right');
  });

  it('https against a plain-HTTP endpoint is explained without the OpenSSL text', () => {
    const err = sysError('EPROTO', 'write EPROTO 80EC638FD47F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number');
    const e = explainAwsError(err, 'x');
    expect(e.code).toBe('aws.endpoint');
    expect(e.why).toBe('The endpoint does not speak TLS: the URL says https://, but the server answered in plain HTTP.');
    expect(`${e.message} ${e.why} ${e.fix}`).not.toMatch(/SSL routines|EPROTO/);
  });

  it('without an endpoint setting, the first call names the AWS endpoint of the region', () => {
    const err = sysError('ENOTFOUND', 'getaddrinfo ENOTFOUND sts.eu-west-1.amazonaws.com', { hostname: 'sts.eu-west-1.amazonaws.com' });
    const first = explainFirstCall(err, 'checking your AWS identity', {}, 'eu-west-1', {});
    expect(first.message).toContain('Endpoint: https://sts.eu-west-1.amazonaws.com');
    expect(first.why).toContain('at sts.eu-west-1.amazonaws.com (ENOTFOUND: the host name does not resolve)');
  });
});
