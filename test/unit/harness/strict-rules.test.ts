import { describe, expect, it } from 'vitest';
import { hitTable } from '../../e2e/harness/strict/hits.js';
import { fargateMemoryFor } from '../../e2e/harness/strict/names.js';
import { RULES } from '../../e2e/harness/strict/registry.js';
import { AccountState } from '../../e2e/harness/strict/state.js';
import { track } from '../../e2e/harness/strict/track.js';
import { DEFAULT_WINDOWS, rewriteStates, type AwsRequest, type RuleContext, type Verdict } from '../../e2e/harness/strict/types.js';

/** The strict layer's rule logic without moto or HTTP: a request, a state, a clock. */
const rule = (id: string) => RULES.find((r) => r.id === id)!;

function req(service: string, operation: string, params: Record<string, unknown> = {}): AwsRequest {
  const json = service === 'ecs' || service === 'application-autoscaling' || service === 'logs' || service === 'ssm';
  return {
    service,
    operation,
    mutating: !/^(Describe|List|Get)/.test(operation),
    protocol: json ? 'json' : service === 'ec2' ? 'ec2' : 'query',
    account: '123456789012',
    form: json ? {} : (params as Record<string, string>),
    json: json ? params : {},
  };
}

function ctx(state: AccountState, now: number): RuleContext {
  const none = () => Promise.reject(new Error('no upstream in unit tests'));
  return { state, now, windows: DEFAULT_WINDOWS, upstream: none, forward: none, rest: none };
}

const code = (v: Verdict | undefined | Promise<Verdict | undefined>) =>
  v && !(v instanceof Promise) && 'error' in v ? v.error.code : undefined;

describe('strict layer rules (pure)', () => {
  it('rewriteStates changes only the first state after each id', () => {
    const body =
      '<set><item><a><state>x</state></a><id>n-1</id><state>available</state></item>' +
      '<item><id>n-2</id><state>available</state><s><state>y</state></s></item></set>';
    const out = rewriteStates(body, 'id', /<state>([^<]+)<\/state>/, (id) => (id === 'n-2' ? 'pending' : undefined));
    expect(out).toBe(body.replace('<id>n-2</id><state>available</state>', '<id>n-2</id><state>pending</state>'));
    expect(rewriteStates('<none/>', 'id', /<state>([^<]+)<\/state>/, () => 'x')).toBe('<none/>');
  });

  it('Fargate sizes follow the ECS table', () => {
    expect(fargateMemoryFor(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryFor(4096)).toHaveLength(23);
    expect(fargateMemoryFor(8192)).toEqual(Array.from({ length: 12 }, (_, i) => 16384 + i * 4096));
    expect(fargateMemoryFor(16384).at(-1)).toBe(122880);
    expect(fargateMemoryFor(300)).toEqual([]);
  });

  it('EC2 consistency: mutating calls and id lists see a fresh id as missing, filters and teardown calls do not', () => {
    const state = new AccountState();
    state.fresh.set('sg-1', 1_000);
    state.fresh.set('nat-1', 1_000);
    const check = (r: AwsRequest, now = 1_500) => code(rule('ec2.eventual-consistency').check!(r, ctx(state, now)));
    expect(check(req('ec2', 'CreateTags', { 'ResourceId.1': 'sg-1', 'Tag.1.Key': 'a' }))).toBe('InvalidGroup.NotFound');
    expect(check(req('ec2', 'DescribeSecurityGroups', { 'GroupId.1': 'sg-1' }))).toBe('InvalidGroup.NotFound');
    expect(check(req('ec2', 'DescribeSecurityGroups', { 'Filter.1.Name': 'group-id', 'Filter.1.Value.1': 'sg-1' }))).toBeUndefined();
    expect(check(req('ec2', 'DeleteSecurityGroup', { GroupId: 'sg-1' }))).toBeUndefined();
    expect(check(req('ec2', 'CreateRoute', { RouteTableId: 'rtb-9', NatGatewayId: 'nat-1' }))).toBe('InvalidNatGatewayID.NotFound');
    expect(check(req('ec2', 'DescribeNatGateways', { 'NatGatewayId.1': 'nat-1' }))).toBe('NatGatewayNotFound');
    expect(check(req('ec2', 'AuthorizeSecurityGroupIngress', { GroupId: 'sg-1' }), 1_000 + DEFAULT_WINDOWS.ec2Consistency)).toBeUndefined();
  });

  it('a NAT gateway drains from the end of "deleting"; its address is refused until a window after it shows deleted', () => {
    const state = new AccountState();
    const c = (now: number) => ctx(state, now);
    track(req('ec2', 'CreateSubnet', { VpcId: 'vpc-1' }), '<subnetId>subnet-1</subnetId>', c(0));
    const natXml = '<natGatewayId>nat-1</natGatewayId><state>pending</state>';
    track(req('ec2', 'CreateNatGateway', { SubnetId: 'subnet-1', AllocationId: 'eipalloc-1' }), natXml, c(0));
    const subnet = (now: number) => code(rule('ec2.deletes-drain').check!(req('ec2', 'DeleteSubnet', { SubnetId: 'subnet-1' }), c(now)));
    const release = (now: number) =>
      code(rule('ec2.release-address-after-nat').check!(req('ec2', 'ReleaseAddress', { AllocationId: 'eipalloc-1' }), c(now)));
    const detachIgw = req('ec2', 'DetachInternetGateway', { VpcId: 'vpc-1', InternetGatewayId: 'igw-1' });
    const detach = (now: number) => code(rule('ec2.deletes-drain').check!(detachIgw, c(now)));
    expect([subnet(10_000), release(10_000), detach(10_000)]).toEqual([
      'DependencyViolation',
      'InvalidIPAddress.InUse',
      'DependencyViolation',
    ]);
    track(req('ec2', 'DeleteNatGateway', { NatGatewayId: 'nat-1' }), '', c(10_000));
    const { natDeleting, drain, releaseAfterNat } = DEFAULT_WINDOWS;
    expect(subnet(10_000 + natDeleting + drain - 1)).toBe('DependencyViolation');
    expect(subnet(10_000 + natDeleting + drain)).toBeUndefined();
    // Shown deleted much later (a slow poller): the address stays refused for a window from then.
    track(req('ec2', 'DescribeNatGateways'), '<natGatewayId>nat-1</natGatewayId><state>deleted</state>', c(30_000));
    expect(release(30_000 + releaseAfterNat - 1)).toBe('AuthFailure');
    expect(release(30_000 + releaseAfterNat)).toBeUndefined();
  });

  it('launch type compatibility resolves a family to its latest revision, and ignores task definitions it never saw', () => {
    const state = new AccountState();
    const registered = (rev: number) =>
      JSON.stringify({ taskDefinition: { taskDefinitionArn: `arn:aws:ecs:us-east-1:1:task-definition/web:${rev}` } });
    track(req('ecs', 'RegisterTaskDefinition', { requiresCompatibilities: ['FARGATE'] }), registered(1), ctx(state, 0));
    track(req('ecs', 'RegisterTaskDefinition', { requiresCompatibilities: ['EC2'] }), registered(2), ctx(state, 0));
    const run = (params: Record<string, unknown>) =>
      code(rule('ecs.launch-type-compatibility').check!(req('ecs', 'RunTask', params), ctx(state, 0)));
    expect(run({ taskDefinition: 'web', launchType: 'FARGATE' })).toBe('InvalidParameterException');
    expect(run({ taskDefinition: 'web:1', launchType: 'FARGATE' })).toBeUndefined();
    expect(run({ taskDefinition: 'web', capacityProviderStrategy: [{ capacityProvider: 'shop-ec2' }] })).toBeUndefined();
    expect(run({ taskDefinition: 'other:3', launchType: 'FARGATE' })).toBeUndefined();
  });

  it('GetRole of an ordinary role is not the layer’s business', () => {
    expect(
      rule('iam.service-linked-roles').check!(req('iam', 'GetRole', { RoleName: 'shop-default-execution' }), ctx(new AccountState(), 0)),
    ).toBeUndefined();
  });

  it('the hit table lists every rule with its total and where it fired', () => {
    const table = hitTable([
      { label: 'lifecycle', hits: { 'ec2.deletes-drain': 2 } },
      { label: 'shapes', hits: { 'ec2.deletes-drain': 8, 'ec2.nat-gateway-states': 8 } },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toBe('Strict AWS layer: rule hits across 2 proxy run(s), 18 in all');
    expect(lines).toHaveLength(RULES.length + 2);
    expect(lines.find((l) => l.startsWith('ec2.deletes-drain '))).toMatch(/^ec2\.deletes-drain\s+10\s+lifecycle, shapes\s+SGs/);
    expect(lines.find((l) => l.startsWith('logs.retention '))).toMatch(/\s0\s+-\s/);
  });
});

describe('strict layer trackers read what the SDK really sends', () => {
  /** The form the SDK puts on the wire for one command (captured before sending). */
  async function wireForm(
    client: { send(c: unknown): Promise<unknown>; middlewareStack: { add(mw: unknown, o: unknown): void } },
    command: unknown,
  ) {
    let body = '';
    client.middlewareStack.add(
      () => async (args: { request: { body: string } }) => {
        body = args.request.body;
        throw new Error('captured');
      },
      { step: 'finalizeRequest', name: 'capture' },
    );
    await client.send(command).catch(() => undefined);
    return Object.fromEntries(new URLSearchParams(body));
  }
  const cfg = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, endpoint: 'http://127.0.0.1:9' };

  it('a launch template with a public network interface, then a Spot Auto Scaling group that uses it', async () => {
    const { EC2Client, CreateLaunchTemplateCommand } = await import('@aws-sdk/client-ec2');
    const { AutoScalingClient, CreateAutoScalingGroupCommand } = await import('@aws-sdk/client-auto-scaling');
    const state = new AccountState();
    const lt = await wireForm(
      new EC2Client(cfg),
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'shop-default-ecs',
        LaunchTemplateData: {
          IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/ecs-kit/shop/default/shop-default-ecs-instance' },
          NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: ['sg-9'] }],
        },
      }),
    );
    track(req('ec2', 'CreateLaunchTemplate', lt), '<launchTemplateId>lt-1</launchTemplateId>', ctx(state, 0));
    expect(state.launchTemplates.get('shop-default-ecs')).toEqual({
      id: 'lt-1',
      name: 'shop-default-ecs',
      profile: { by: 'arn', value: 'arn:aws:iam::1:instance-profile/ecs-kit/shop/default/shop-default-ecs-instance' },
      securityGroups: ['sg-9'],
      publicIp: true,
    });
    const asg = await wireForm(
      new AutoScalingClient(cfg),
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'shop-default-ecs',
        MinSize: 1,
        MaxSize: 2,
        VPCZoneIdentifier: 'subnet-1,subnet-2',
        MixedInstancesPolicy: { LaunchTemplate: { LaunchTemplateSpecification: { LaunchTemplateId: 'lt-1', Version: '$Latest' } } },
      }),
    );
    state.profiles.set('shop-default-ecs-instance', 0);
    const refused = rule('iam.instance-profile-propagation').check!(req('autoscaling', 'CreateAutoScalingGroup', asg), ctx(state, 10));
    expect(code(refused)).toBe('ValidationError');
    track(req('autoscaling', 'CreateAutoScalingGroup', asg), '', ctx(state, 10));
    expect(state.holder('Auto Scaling group', 'shop-default-ecs')).toMatchObject({
      subnets: ['subnet-1', 'subnet-2'],
      securityGroups: ['sg-9'],
      publicIp: true,
    });
  });
});
