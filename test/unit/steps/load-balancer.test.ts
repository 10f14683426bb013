import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  SetSecurityGroupsCommand,
  SetSubnetsCommand,
  type Listener,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateServiceLinkedRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PendingDependency } from '../../../src/engine/types.js';
import { loadBalancerStep } from '../../../src/steps/load-balancer/index.js';
import type { LoadBalancerState } from '../../../src/steps/load-balancer/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const ec2 = mockClient(EC2Client);
const elb = mockClient(ElasticLoadBalancingV2Client);
const iam = mockClient(IAMClient);
beforeEach(() => {
  ec2.reset();
  elb.reset();
  strict(ec2);
  strict(elb);
  iam.reset();
  strict(iam);
  // The account already has the ELB service-linked role (made by its first load balancer).
  iam.on(GetRoleCommand).resolves({
    Role: { RoleName: 'AWSServiceRoleForElasticLoadBalancing', Arn: 'arn:slr', Path: '/', RoleId: 'x', CreateDate: new Date() },
  });
});
afterEach(() => {
  vi.useRealTimers();
});

const awsError = (name: string) => Object.assign(new Error(name), { name });
const readsOnly = (names: string[]) => names.every((n) => n.startsWith('Describe'));

const NETWORK: NetworkState = {
  vpcId: 'vpc-1',
  cidr: '10.0.0.0/16',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  publicSubnetIds: ['subnet-1', 'subnet-2'],
  internetGatewayId: 'igw-1',
  publicRouteTableId: 'rtb-1',
};
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-default/abc';
const LISTENER_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-default/abc/def';
const STATE: LoadBalancerState = {
  securityGroupId: 'sg-lb',
  loadBalancerArn: LB_ARN,
  loadBalancerName: 'shop-default',
  dnsName: 'shop-default-1.us-east-1.elb.amazonaws.com',
  listenerArn: LISTENER_ARN,
};

const HTTP_IN: IpPermission = { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const sgTags = [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'lb-security-group' }, { Key: 'Name', Value: 'shop-default-lb' }];

const loadBalancer = (extra: Partial<LoadBalancer> = {}): LoadBalancer => ({
  LoadBalancerArn: LB_ARN,
  LoadBalancerName: 'shop-default',
  DNSName: STATE.dnsName,
  Scheme: 'internet-facing',
  Type: 'application',
  State: { Code: 'active' },
  AvailabilityZones: [
    { ZoneName: 'us-east-1b', SubnetId: 'subnet-2' },
    { ZoneName: 'us-east-1a', SubnetId: 'subnet-1' },
  ],
  SecurityGroups: ['sg-lb'],
  ...extra,
});

const listener = (extra: Partial<Listener> = {}): Listener => ({
  ListenerArn: LISTENER_ARN,
  LoadBalancerArn: LB_ARN,
  Port: 80,
  Protocol: 'HTTP',
  DefaultActions: [
    {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'No ecs-kit service is routed here' },
    },
  ],
  ...extra,
});

function ownedTags(tags = OWNER_TAGS) {
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((ResourceArn) => ({ ResourceArn, Tags: tags })),
  }));
}

function existing(o: { perms?: IpPermission[]; lb?: LoadBalancer | null; listeners?: Listener[] } = {}) {
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [{ GroupId: 'sg-lb', GroupName: 'shop-default-lb', VpcId: 'vpc-1', Tags: sgTags, IpPermissions: o.perms ?? [HTTP_IN] }],
  });
  if (o.lb === null) elb.on(DescribeLoadBalancersCommand).rejects(awsError('LoadBalancerNotFoundException'));
  else elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [o.lb ?? loadBalancer()] });
  ownedTags();
  elb.on(DescribeListenersCommand).resolves({ Listeners: o.listeners ?? [listener()] });
}

const ctxWithNetwork = (network: NetworkState = NETWORK) => stepContext(loadBalancerStep, { deps: { network } });

describe('load-balancer step', () => {
  it('is only wanted when some service has a port', () => {
    expect(loadBalancerStep.instances(config())).toEqual([{ dependsOn: ['network'] }]);
    expect(loadBalancerStep.instances(config('app: shop\nservices: { worker: { image: busybox } }'))).toEqual([]);
  });

  it('waits for the network while it does not exist or is missing subnets', async () => {
    await expect(loadBalancerStep.plan(stepContext(loadBalancerStep))).rejects.toBeInstanceOf(PendingDependency);
    await expect(loadBalancerStep.plan(ctxWithNetwork({ ...NETWORK, publicSubnetIds: ['subnet-1', ''] }))).rejects.toBeInstanceOf(
      PendingDependency,
    );
    expect(commandNames(ec2)).toEqual([]);
  });

  it('creates the security group, an internet-facing ALB and a 404 HTTP listener', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    elb.on(DescribeLoadBalancersCommand).rejects(awsError('LoadBalancerNotFoundException'));
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-lb' });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [loadBalancer({ State: { Code: 'provisioning' } })] });
    elb.on(CreateListenerCommand).resolves({ Listeners: [listener()] });

    const ctx = ctxWithNetwork();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(plan.changes.map((c) => c.field)).toEqual(['securityGroup', 'ingress', 'loadBalancer', 'listener']);
    expect(plan.current).toBeUndefined();
    const state = await loadBalancerStep.apply(ctx, plan);
    expect(state).toEqual(STATE);

    expect(ec2.commandCalls(CreateSecurityGroupCommand)[0]!.args[0].input).toMatchObject({
      GroupName: 'shop-default-lb',
      VpcId: 'vpc-1',
      Description: expect.any(String),
      TagSpecifications: [{ ResourceType: 'security-group', Tags: sgTags }],
    });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input).toEqual({
      GroupId: 'sg-lb',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTP from the internet' }] },
      ],
    });
    expect(elb.commandCalls(CreateLoadBalancerCommand)[0]!.args[0].input).toEqual({
      Name: 'shop-default',
      Type: 'application',
      Scheme: 'internet-facing',
      IpAddressType: 'ipv4',
      Subnets: ['subnet-1', 'subnet-2'],
      SecurityGroups: ['sg-lb'],
      Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'load-balancer' }],
    });
    expect(elb.commandCalls(CreateListenerCommand)[0]!.args[0].input).toEqual({
      LoadBalancerArn: LB_ARN,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [
        {
          Type: 'fixed-response',
          FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'No ecs-kit service is routed here' },
        },
      ],
      Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'listener' }],
    });
  });

  it('creates the ELB service-linked role in a fresh account before the first load balancer, and retries while it propagates', async () => {
    vi.useFakeTimers();
    iam.on(GetRoleCommand).rejects(awsError('NoSuchEntityException'));
    iam.on(CreateServiceLinkedRoleCommand).resolves({});
    existing({ lb: null, listeners: [] });
    const notYet = Object.assign(new Error('Unable to assume the service linked role AWSServiceRoleForElasticLoadBalancing'), {
      name: 'ValidationError',
    });
    elb
      .on(CreateLoadBalancerCommand)
      .rejectsOnce(notYet)
      .resolves({ LoadBalancers: [loadBalancer({ State: { Code: 'provisioning' } })] });
    elb.on(CreateListenerCommand).resolves({ Listeners: [listener()] });
    const ctx = ctxWithNetwork();
    ctx.options.propagationRetryMs = 60_000;
    const p = loadBalancerStep.apply(ctx, await loadBalancerStep.plan(ctx));
    await vi.advanceTimersByTimeAsync(1_500);
    expect(await p).toEqual(STATE);
    expect(iam.commandCalls(CreateServiceLinkedRoleCommand)[0]!.args[0].input).toEqual({
      AWSServiceName: 'elasticloadbalancing.amazonaws.com',
    });
    expect(elb.commandCalls(CreateLoadBalancerCommand)).toHaveLength(2);
  });

  it('reads every page of listeners', async () => {
    existing();
    const other = listener({ ListenerArn: 'arn:other', Port: 8080 });
    elb
      .on(DescribeListenersCommand)
      .callsFake((input: { Marker?: string }) =>
        input.Marker === 'm1' ? { Listeners: [listener()] } : { Listeners: [other], NextMarker: 'm1' },
      );
    const plan = await loadBalancerStep.plan(ctxWithNetwork());
    expect(plan.action).toBe('noop');
    expect(plan.current?.listenerArn).toBe(LISTENER_ARN);
    expect(commandNames(elb)).toEqual(['DescribeLoadBalancers', 'DescribeTags', 'DescribeListeners', 'DescribeListeners']);
  });

  it('plans no change and makes only read calls when everything matches', async () => {
    existing();
    const plan = await loadBalancerStep.plan(ctxWithNetwork());
    expect(plan.action).toBe('noop');
    expect(plan.changes).toEqual([]);
    expect(plan.current).toEqual(STATE);
    expect(readsOnly(commandNames(ec2))).toBe(true);
    expect(commandNames(elb)).toEqual(['DescribeLoadBalancers', 'DescribeTags', 'DescribeListeners']);
    expect(commandNames(iam)).toEqual([]);
  });

  it('revokes extra ingress, restores the HTTP rule and moves the ALB back to the network subnets', async () => {
    existing({
      perms: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh' }] }],
      lb: loadBalancer({
        AvailabilityZones: [
          { ZoneName: 'us-east-1a', SubnetId: 'subnet-1' },
          { ZoneName: 'us-east-1c', SubnetId: 'subnet-9' },
        ],
      }),
    });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    elb.on(SetSubnetsCommand).resolves({});

    const ctx = ctxWithNetwork();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      { field: 'ingress', before: ['tcp 22 from 0.0.0.0/0'], after: ['tcp 80 from 0.0.0.0/0'] },
      { field: 'loadBalancer.subnets', before: ['subnet-1', 'subnet-9'], after: ['subnet-1', 'subnet-2'] },
    ]);
    ec2.resetHistory();
    elb.resetHistory();
    const state = await loadBalancerStep.apply(ctx, plan);
    expect(state).toEqual(STATE);
    expect(commandNames(ec2)).toEqual(['RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupIngress']);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'ssh' }] },
    ]);
    expect(commandNames(elb)).toEqual(['SetSubnets']);
    expect(elb.commandCalls(SetSubnetsCommand)[0]!.args[0].input).toEqual({ LoadBalancerArn: LB_ARN, Subnets: ['subnet-1', 'subnet-2'] });
  });

  it('puts the ALB back on its own security group', async () => {
    existing({ lb: loadBalancer({ SecurityGroups: ['sg-lb', 'sg-other'] }) });
    elb.on(SetSecurityGroupsCommand).resolves({});
    const ctx = ctxWithNetwork();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'loadBalancer.securityGroups', before: ['sg-lb', 'sg-other'], after: ['sg-lb'] }]);
    elb.resetHistory();
    await loadBalancerStep.apply(ctx, plan);
    expect(commandNames(elb)).toEqual(['SetSecurityGroups']);
  });

  it('creates only the listener when it is missing, and fixes a drifted default action', async () => {
    existing({ listeners: [] });
    elb.on(CreateListenerCommand).resolves({ Listeners: [listener()] });
    let ctx = ctxWithNetwork();
    let plan = await loadBalancerStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'listener', after: 'HTTP:80' }] });
    expect(plan.current?.listenerArn).toBe('');
    elb.resetHistory();
    ec2.resetHistory();
    expect(await loadBalancerStep.apply(ctx, plan)).toEqual(STATE);
    expect([...commandNames(ec2), ...commandNames(elb)]).toEqual(['CreateListener']);

    existing({ listeners: [listener({ DefaultActions: [{ Type: 'forward', TargetGroupArn: 'arn:tg' }] })] });
    elb.on(ModifyListenerCommand).resolves({});
    ctx = ctxWithNetwork();
    plan = await loadBalancerStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'listener.defaultAction', before: 'forward', after: 'fixed-response 404' }]);
    elb.resetHistory();
    await loadBalancerStep.apply(ctx, plan);
    expect(commandNames(elb)).toEqual(['ModifyListener']);
  });

  it('creates the ALB but keeps an existing security group', async () => {
    existing({ lb: null });
    elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [loadBalancer()] });
    elb.on(CreateListenerCommand).resolves({ Listeners: [listener()] });
    const ctx = ctxWithNetwork();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.current).toMatchObject({ securityGroupId: 'sg-lb', loadBalancerArn: '', listenerArn: '' });
    ec2.resetHistory();
    await loadBalancerStep.apply(ctx, plan);
    expect(commandNames(ec2)).toEqual([]);
  });

  it('refuses to adopt a load balancer or security group with our name that ecs-kit did not create', async () => {
    existing();
    ownedTags([{ Key: 'team', Value: 'other' }]);
    await expect(loadBalancerStep.plan(ctxWithNetwork())).rejects.toThrow(/load balancer named shop-default .*not created by ecs-kit/);

    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-x', GroupName: 'shop-default-lb', Tags: [] }] });
    await expect(loadBalancerStep.plan(ctxWithNetwork())).rejects.toThrow(/security group named shop-default-lb .*not created by ecs-kit/);
  });
});

describe('load-balancer destroy', () => {
  function owned() {
    elb
      .on(DescribeLoadBalancersCommand)
      .resolvesOnce({ LoadBalancers: [loadBalancer()] })
      .rejects(awsError('LoadBalancerNotFoundException'));
    ownedTags();
    elb.on(DescribeListenersCommand).resolves({ Listeners: [listener()] });
    elb.on(DeleteListenerCommand).resolves({});
    elb.on(DeleteLoadBalancerCommand).resolves({});
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-lb', Tags: sgTags }] });
    ec2.on(DeleteSecurityGroupCommand).resolves({});
  }

  it('deletes listener, load balancer (waiting until gone), then the security group', async () => {
    owned();
    const ctx = stepContext(loadBalancerStep);
    await loadBalancerStep.destroy(ctx, STATE);
    expect(commandNames(elb)).toEqual([
      'DescribeLoadBalancers',
      'DescribeTags',
      'DescribeListeners',
      'DeleteListener',
      'DeleteLoadBalancer',
      'DescribeLoadBalancers',
    ]);
    expect(commandNames(ec2)).toEqual(['DescribeSecurityGroups', 'DeleteSecurityGroup']);
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)[0]!.args[0].input).toEqual({ GroupId: 'sg-lb' });
  });

  it('retries the security group while the ALB ENIs are still attached', async () => {
    owned();
    ec2.on(DeleteSecurityGroupCommand).rejectsOnce(awsError('DependencyViolation')).resolves({});
    vi.useFakeTimers();
    const ctx = stepContext(loadBalancerStep);
    ctx.options.destroyRetryMs = 60_000;
    const p = loadBalancerStep.destroy(ctx, STATE);
    await vi.advanceTimersByTimeAsync(2_500);
    await p;
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(2);
  });

  it('treats an already-deleted load balancer and security group as deleted', async () => {
    elb.on(DescribeLoadBalancersCommand).rejects(awsError('LoadBalancerNotFoundException'));
    ec2.on(DescribeSecurityGroupsCommand).rejects(awsError('InvalidGroup.NotFound'));
    await loadBalancerStep.destroy(stepContext(loadBalancerStep), STATE);
    expect(readsOnly(commandNames(elb))).toBe(true);
    expect(readsOnly(commandNames(ec2))).toBe(true);
  });

  it('leaves a load balancer whose tags say someone else owns it, and its security group', async () => {
    owned();
    ownedTags([
      { Key: 'ecs-kit:app', Value: 'other' },
      { Key: 'ecs-kit:env', Value: 'default' },
    ]);
    const ctx = stepContext(loadBalancerStep);
    await loadBalancerStep.destroy(ctx, STATE);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx.warnings[0]).toMatch(/Left load balancer shop-default and security group sg-lb in place: the load balancer's tags/);
    expect(readsOnly(commandNames(elb))).toBe(true);
    expect(commandNames(ec2)).toEqual([]);
  });

  it('leaves a security group that is not ours', async () => {
    owned();
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-lb', Tags: [] }] });
    const ctx = stepContext(loadBalancerStep);
    await loadBalancerStep.destroy(ctx, STATE);
    expect(ctx.warningCodes).toEqual(['teardown.not-owned']);
    expect(ctx.warnings[0]).toContain('load balancer security group (sg-lb)');
    expect(commandNames(ec2)).toEqual(['DescribeSecurityGroups']);
  });
});
