import { describe, expect, it } from 'vitest';
import { explainAwsError } from '../../../src/aws/errors.js';

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });

describe('explainAwsError and EC2 AuthFailure', () => {
  it('blames the credentials when EC2 could not validate them', () => {
    const e = explainAwsError(awsError('AuthFailure', 'AWS was not able to validate the provided access credentials'), 'creating the VPC');
    expect(e.code).toBe('aws.credentials');
  });

  it('does not blame the credentials for a resource EC2 still holds (ReleaseAddress right after a NAT gateway is deleted, #14)', () => {
    const e = explainAwsError(
      awsError('AuthFailure', 'You do not have permission to access the specified resource.'),
      'deleting the network',
    );
    expect(e.code).toBe('aws.not-released');
    expect(e.why).not.toMatch(/credentials/i);
    expect(e.why).toMatch(/NAT gateway/);
    expect(e.fix).toMatch(/run the command again/);
  });
});
