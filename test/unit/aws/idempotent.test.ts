import { CreateSecurityGroupCommand, DescribeSecurityGroupsCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../../src/aws/clients.js';
import { alreadyDone, createOnce, isUnknownOutcome } from '../../../src/aws/idempotent.js';
import { applySecurityGroup } from '../../../src/aws/security-groups.js';
import { securityGroupStep } from '../../../src/steps/security-group/index.js';
import { commandNames, resetAfterEach, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, stepContext } from '../../helpers/context.js';

const ec2 = mockClient(EC2Client);
resetAfterEach(ec2);

/** What the SDK throws when the connection drops after the request was sent. */
function reset(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}
function awsError(name: string, status: number): Error {
  return new EC2ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}
const fast = { initialDelayMs: 1, maxDelayMs: 2, throttleDelayMs: 1, throttleMaxDelayMs: 2, lookupWaitMs: 0 };

describe('isUnknownOutcome', () => {
  it.each([
    ['a reset connection', reset(), true],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' }), true],
    ['a 503', awsError('ServiceUnavailable', 503), true],
    ['a 500 with an HTML body', Object.assign(new SyntaxError('Unexpected token <'), { $metadata: { httpStatusCode: 500 } }), true],
    ['throttling', awsError('RequestLimitExceeded', 503), true],
    ['a validation error', awsError('InvalidParameterValue', 400), false],
    ['access denied', awsError('UnauthorizedOperation', 403), false],
    ['a user abort', Object.assign(new Error('aborted'), { name: 'AbortError' }), false],
  ])('%s → %s', (_, err, expected) => {
    expect(isUnknownOutcome(err)).toBe(expected);
  });
});

describe('createOnce', () => {
  it('returns what create returns and never looks when it succeeds', async () => {
    const find = vi.fn(async () => 'found');
    expect(await createOnce({ create: async () => 'made', find, ...fast })).toBe('made');
    expect(find).not.toHaveBeenCalled();
  });

  it('a lost response: looks the resource up and adopts it instead of creating a second', async () => {
    const create = vi.fn().mockRejectedValueOnce(reset()).mockResolvedValue('second copy');
    const find = vi.fn(async () => 'vpc-1');
    const onAdopt = vi.fn();
    expect(await createOnce({ create, find, onAdopt, ...fast })).toBe('vpc-1');
    expect(create).toHaveBeenCalledTimes(1);
    expect(onAdopt).toHaveBeenCalledWith('vpc-1');
  });

  it('an unknown outcome with nothing found: creates again, looking first each time', async () => {
    const order: string[] = [];
    const create = vi.fn(async () => {
      order.push('create');
      if (order.length === 1) throw awsError('InternalError', 500);
      return 'made';
    });
    const find = vi.fn(async () => (order.push('find'), undefined));
    expect(await createOnce({ create, find, ...fast })).toBe('made');
    expect(order).toEqual(['create', 'find', 'create']);
  });

  it('throttling: AWS ran nothing, so it retries without a lookup', async () => {
    const create = vi.fn().mockRejectedValueOnce(awsError('Throttling', 400)).mockResolvedValue('made');
    const find = vi.fn(async () => 'x');
    expect(await createOnce({ create, find, ...fast })).toBe('made');
    expect(find).not.toHaveBeenCalled();
  });

  it('a client error is thrown at once, with no lookup and no retry', async () => {
    const err = awsError('InvalidParameterValue', 400);
    const create = vi.fn().mockRejectedValue(err);
    const find = vi.fn(async () => 'x');
    await expect(createOnce({ create, find, ...fast })).rejects.toBe(err);
    expect(create).toHaveBeenCalledTimes(1);
    expect(find).not.toHaveBeenCalled();
  });

  it('is bounded: after `attempts` unknown outcomes it takes a last look, then throws', async () => {
    const err = reset();
    const create = vi.fn().mockRejectedValue(err);
    const find = vi.fn(async () => undefined);
    await expect(createOnce({ create, find, attempts: 3, ...fast })).rejects.toBe(err);
    expect(create).toHaveBeenCalledTimes(3);
    // Before attempts 2 and 3, and once after the last.
    expect(find).toHaveBeenCalledTimes(3);
  });

  it('the last attempt itself may have succeeded: the final look adopts it', async () => {
    const create = vi.fn().mockRejectedValue(reset());
    const find = vi
      .fn(async (): Promise<string | undefined> => undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce('made-by-last');
    expect(await createOnce({ create, find, attempts: 2, ...fast })).toBe('made-by-last');
    expect(create).toHaveBeenCalledTimes(2);
  });

  it('"already exists" adopts ours; when nothing of ours is found, the error stands', async () => {
    const dup = awsError('InvalidGroup.Duplicate', 400);
    expect(
      await createOnce({
        create: async () => Promise.reject(dup),
        find: async () => 'sg-1',
        alreadyExists: ['InvalidGroup.Duplicate'],
        ...fast,
      }),
    ).toBe('sg-1');
    await expect(
      createOnce({
        create: async () => Promise.reject(dup),
        find: async () => undefined,
        alreadyExists: ['InvalidGroup.Duplicate'],
        ...fast,
      }),
    ).rejects.toBe(dup);
  });
});

describe('createOnce under real-AWS timing (#26)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps retrying throttling past `attempts`, backing off like the SDK (1 s doubling, capped at 20 s)', async () => {
    const create = vi.fn();
    for (let i = 0; i < 7; i++) create.mockRejectedValueOnce(awsError('ThrottlingException', 400));
    create.mockResolvedValue('made');
    const find = vi.fn(async () => undefined);
    vi.useFakeTimers();
    const started = Date.now();
    const p = createOnce({ create, find, attempts: 5 });
    await vi.advanceTimersByTimeAsync(200_000);
    expect(await p).toBe('made');
    expect(create).toHaveBeenCalledTimes(8);
    // At least half of 1+2+4+8+16+20+20 s: far longer than a token bucket takes to refill.
    expect(Date.now() - started).toBeGreaterThanOrEqual(35_500);
    expect(find).not.toHaveBeenCalled();
  });

  it('is still bounded for throttling: twice `attempts` by default', async () => {
    const err = awsError('RequestLimitExceeded', 503);
    const create = vi.fn().mockRejectedValue(err);
    vi.useFakeTimers();
    const p = createOnce({ create, find: async () => undefined, attempts: 3 });
    const assertion = expect(p).rejects.toBe(err);
    await vi.advanceTimersByTimeAsync(200_000);
    await assertion;
    expect(create).toHaveBeenCalledTimes(6);
  });

  it('after a lost response, looks again for a while before believing the resource is absent (eventually consistent Describe)', async () => {
    const create = vi.fn().mockRejectedValueOnce(reset()).mockResolvedValue('a second VPC');
    // The lookup sees the VPC only on its third try.
    const find = vi
      .fn(async (): Promise<string | undefined> => undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValue('vpc-1');
    vi.useFakeTimers();
    const p = createOnce({ create, find, initialDelayMs: 1, lookupWaitMs: 8_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await p).toBe('vpc-1');
    expect(create).toHaveBeenCalledTimes(1);
    expect(find).toHaveBeenCalledTimes(3);
  });

  it('"already exists" also waits for the lookup to see it', async () => {
    const dup = awsError('InvalidGroup.Duplicate', 400);
    const find = vi
      .fn(async (): Promise<string | undefined> => undefined)
      .mockResolvedValueOnce(undefined)
      .mockResolvedValue('sg-1');
    vi.useFakeTimers();
    const p = createOnce({ create: async () => Promise.reject(dup), find, alreadyExists: ['InvalidGroup.Duplicate'], lookupWaitMs: 8_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await p).toBe('sg-1');
  });

  it('the patience is bounded: after lookupWaitMs of "absent" it creates again', async () => {
    const create = vi.fn().mockRejectedValueOnce(reset()).mockResolvedValue('made');
    const find = vi.fn(async () => undefined);
    vi.useFakeTimers();
    const p = createOnce({ create, find, initialDelayMs: 1, lookupWaitMs: 8_000 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await p).toBe('made');
    // Looks at 0, 1, 3 and 7 s; another 4 s would pass 8 s.
    expect(find).toHaveBeenCalledTimes(4);
  });
});

describe('alreadyDone', () => {
  it('an "already associated" error is success only when the describe confirms it', async () => {
    const err = awsError('Resource.AlreadyAssociated', 400);
    await expect(Promise.reject(err).catch(alreadyDone(['Resource.AlreadyAssociated'], async () => true))).resolves.toBeUndefined();
    await expect(Promise.reject(err).catch(alreadyDone(['Resource.AlreadyAssociated'], async () => false))).rejects.toBe(err);
    const other = awsError('InvalidVpcID.NotFound', 400);
    const verify = vi.fn(async () => true);
    await expect(Promise.reject(other).catch(alreadyDone(['Resource.AlreadyAssociated'], verify))).rejects.toBe(other);
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('AwsClients.once', () => {
  it('gives clients that never retry, separate from the retrying ones', async () => {
    const aws = new AwsClients({ region: 'us-east-1', maxAttempts: 7 });
    expect(await aws.ec2().config.maxAttempts()).toBe(7);
    expect(await aws.once.ec2().config.maxAttempts()).toBe(1);
    expect(aws.once.ec2()).not.toBe(aws.ec2());
    expect(aws.once.ec2()).toBe(aws.once.ec2());
    expect(aws.maxAttempts()).toBe(7);
    aws.destroy();
  });
});

describe('a step: the security group whose CreateSecurityGroup response was lost', () => {
  it('is found by name and our tags and adopted; no second create', async () => {
    strict(ec2);
    ec2.on(CreateSecurityGroupCommand).rejects(reset());
    ec2
      .on(DescribeSecurityGroupsCommand)
      .resolves({ SecurityGroups: [{ GroupId: 'sg-lost', GroupName: 'shop-default-web', Tags: OWNER_TAGS }] });
    const ctx = stepContext(securityGroupStep, { scope: 'web' });
    const id = await applySecurityGroup(
      ctx,
      { wanted: [], diff: { add: [], remove: [] } },
      { vpcId: 'vpc-1', name: 'shop-default-web', description: 'd', role: 'service-security-group' },
    );
    expect(id).toBe('sg-lost');
    expect(commandNames(ec2)).toEqual(['CreateSecurityGroup', 'DescribeSecurityGroups']);
  });

  it('a group of that name that is not ours is not adopted', async () => {
    strict(ec2);
    ec2.on(CreateSecurityGroupCommand).rejects(awsError('InvalidGroup.Duplicate', 400));
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-theirs', GroupName: 'shop-default-web', Tags: [] }] });
    const ctx = stepContext(securityGroupStep, { scope: 'web' });
    await expect(
      applySecurityGroup(
        ctx,
        { wanted: [], diff: { add: [], remove: [] } },
        { vpcId: 'vpc-1', name: 'shop-default-web', description: 'd', role: 'service-security-group' },
      ),
    ).rejects.toThrow('InvalidGroup.Duplicate');
  });
});
