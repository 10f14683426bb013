import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { membersSecurityGroupStep } from '../../../src/steps/members-security-group/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { securityGroupStep } from '../../../src/steps/security-group/index.js';
import { strict } from '../../helpers/aws-mock.js';
import { config, stepContext } from '../../helpers/context.js';

/** Internal services: reachable only from the app's own services, through the members group every service's tasks are in. */

const ec2 = mockClient(EC2Client);
beforeEach(() => {
  ec2.reset();
  strict(ec2);
});

const CONFIG = config(`
app: shop
services:
  web: { image: nginx, port: 80 }
  api: { image: api, port: 8080, internal: true }
  nightly: { image: job, schedule: "rate(1 hour)" }
`);
const NETWORK = { vpcId: 'vpc-1', publicSubnetIds: ['subnet-1', 'subnet-2'] } as NetworkState;

describe('internal services’ security', () => {
  it('the members group exists only with an internal service and admits nothing itself', async () => {
    expect(membersSecurityGroupStep.instances(CONFIG)).toEqual([{ dependsOn: ['network'] }]);
    expect(membersSecurityGroupStep.instances(config('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n'))).toEqual([]);
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-members' });
    const ctx = stepContext(membersSecurityGroupStep, { config: CONFIG, deps: { network: NETWORK } });
    const plan = await membersSecurityGroupStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(await membersSecurityGroupStep.apply(ctx, plan)).toEqual({ groupId: 'sg-members' });
    expect(ec2.commandCalls(CreateSecurityGroupCommand)[0]!.args[0].input).toMatchObject({
      GroupName: 'shop-default.services',
      VpcId: 'vpc-1',
    });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toEqual([]);
  });

  it('an internal service admits its port only from the members group; it waits for that group, not the load balancer', async () => {
    expect(securityGroupStep.instances(CONFIG)).toEqual([
      { scope: 'web', dependsOn: ['network', 'load-balancer'] },
      { scope: 'api', dependsOn: ['network', 'members-security-group'] },
      { scope: 'nightly', dependsOn: ['network'] },
    ]);
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-api' });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    const ctx = stepContext(securityGroupStep, {
      scope: 'api',
      config: CONFIG,
      deps: { network: NETWORK, 'members-security-group': { groupId: 'sg-members' } },
    });
    const plan = await securityGroupStep.plan(ctx);
    expect(plan.changes).toContainEqual({ field: 'ingress', after: ['tcp 8080 from sg-members'] });
    await securityGroupStep.apply(ctx, plan);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 8080,
        ToPort: 8080,
        UserIdGroupPairs: [{ GroupId: 'sg-members', Description: "from the app's own services" }],
      },
    ]);
  });

  it('a scheduled job admits nothing', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    const plan = await securityGroupStep.plan(
      stepContext(securityGroupStep, { scope: 'nightly', config: CONFIG, deps: { network: NETWORK } }),
    );
    expect(plan.changes.find((c) => c.field === 'ingress')).toBeUndefined();
  });
});
