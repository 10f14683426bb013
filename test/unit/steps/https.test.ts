import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyTargetGroupAttributesCommand,
  type Listener,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { TLS_POLICY, loadBalancerStep } from '../../../src/steps/load-balancer/index.js';
import type { LoadBalancerState } from '../../../src/steps/load-balancer/index.js';
import type { NetworkState } from '../../../src/steps/network/index.js';
import type { TargetGroupState } from '../../../src/steps/target-group/index.js';
import { rulePriority, targetGroupStep } from '../../../src/steps/target-group/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

/** HTTPS on the shared load balancer: the 443 listener, the 80 → 443 redirect and where service rules live. */

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

const awsError = (name: string) => Object.assign(new Error(name), { name });
const readsOnly = (names: string[]) => names.every((n) => n.startsWith('Describe'));

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const CERT2 = 'arn:aws:acm:us-east-1:123456789012:certificate/99999999-8888-7777-6666-555555555555';
const NETWORK: NetworkState = {
  vpcId: 'vpc-1',
  cidr: '10.0.0.0/16',
  availabilityZones: ['us-east-1a', 'us-east-1b'],
  publicSubnetIds: ['subnet-1', 'subnet-2'],
  internetGatewayId: 'igw-1',
  publicRouteTableId: 'rtb-1',
};
const LB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-default/abc';
const HTTP_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-default/abc/http';
const HTTPS_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-default/abc/https';
const DNS = 'shop-default-1.us-east-1.elb.amazonaws.com';
const BASE: LoadBalancerState = {
  securityGroupId: 'sg-lb',
  loadBalancerArn: LB_ARN,
  loadBalancerName: 'shop-default',
  dnsName: DNS,
  listenerArn: HTTP_ARN,
};

const withCert = (cert = CERT, extra = '') =>
  config(`app: shop\nloadBalancer: { certificateArn: "${cert}"${extra} }\nservices:\n  web: { image: nginx:1.27, port: 80 }\n`);
const httpOnly = config();

const sgTags = [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'lb-security-group' }, { Key: 'Name', Value: 'shop-default-lb' }];
const perm = (port: number, cidr = '0.0.0.0/0'): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: port,
  ToPort: port,
  IpRanges: [{ CidrIp: cidr }],
});

const NOT_FOUND_404 = {
  Type: 'fixed-response' as const,
  FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'No ecs-kit service is routed here' },
};
// As AWS returns it: Host/Path/Query filled in with their #{…} defaults.
const REDIRECT_AS_DESCRIBED = {
  Type: 'redirect' as const,
  RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' as const },
};
const httpListener = (redirect: boolean): Listener => ({
  ListenerArn: HTTP_ARN,
  LoadBalancerArn: LB_ARN,
  Port: 80,
  Protocol: 'HTTP',
  DefaultActions: [redirect ? REDIRECT_AS_DESCRIBED : NOT_FOUND_404],
});
const httpsListener = (extra: Partial<Listener> = {}): Listener => ({
  ListenerArn: HTTPS_ARN,
  LoadBalancerArn: LB_ARN,
  Port: 443,
  Protocol: 'HTTPS',
  SslPolicy: TLS_POLICY,
  Certificates: [{ CertificateArn: CERT }],
  DefaultActions: [NOT_FOUND_404],
  ...extra,
});

function existingLb(o: { perms: IpPermission[]; listeners: Listener[] }) {
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [{ GroupId: 'sg-lb', GroupName: 'shop-default-lb', VpcId: 'vpc-1', Tags: sgTags, IpPermissions: o.perms }],
  });
  elb.on(DescribeLoadBalancersCommand).resolves({
    LoadBalancers: [
      {
        LoadBalancerArn: LB_ARN,
        LoadBalancerName: 'shop-default',
        DNSName: DNS,
        AvailabilityZones: [{ SubnetId: 'subnet-1' }, { SubnetId: 'subnet-2' }],
        SecurityGroups: ['sg-lb'],
      },
    ],
  });
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((ResourceArn) => ({ ResourceArn, Tags: OWNER_TAGS })),
  }));
  elb.on(DescribeListenersCommand).resolves({ Listeners: o.listeners });
}

const lbCtx = (cfg = withCert()) => stepContext(loadBalancerStep, { config: cfg, deps: { network: NETWORK } });
const allCalls = () => [...commandNames(ec2), ...commandNames(elb)];

describe('load balancer with loadBalancer.certificateArn', () => {
  it('creates an HTTPS:443 listener with the TLS 1.3 policy, then an HTTP:80 listener that redirects to it', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    elb.on(DescribeLoadBalancersCommand).rejects(awsError('LoadBalancerNotFoundException'));
    ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-lb' });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: LB_ARN, DNSName: DNS }] });
    elb
      .on(CreateListenerCommand)
      .callsFake((input: { Port: number }) => ({ Listeners: [{ ListenerArn: input.Port === 443 ? HTTPS_ARN : HTTP_ARN }] }));

    const ctx = lbCtx();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(plan.changes).toContainEqual({ field: 'listener', after: 'HTTP:80 → redirect to HTTPS:443' });
    expect(plan.changes).toContainEqual({ field: 'httpsListener', after: `HTTPS:443 (${TLS_POLICY}, ${CERT})` });
    const state = await loadBalancerStep.apply(ctx, plan);
    expect(state).toEqual({ ...BASE, httpsListenerArn: HTTPS_ARN });
    expect(ctx.warnings).toEqual([]);

    // 80 stays open (for the redirect) and 443 opens, both from anywhere by default.
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTP from the internet' }] },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTPS from the internet' }] },
    ]);
    const listeners = elb.commandCalls(CreateListenerCommand).map((c) => c.args[0].input);
    expect(listeners).toEqual([
      {
        LoadBalancerArn: LB_ARN,
        Protocol: 'HTTPS',
        Port: 443,
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        Certificates: [{ CertificateArn: CERT }],
        DefaultActions: [NOT_FOUND_404],
        Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'https-listener' }],
      },
      {
        LoadBalancerArn: LB_ARN,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
        Tags: [...OWNER_TAGS, { Key: 'ecs-kit:resource', Value: 'listener' }],
      },
    ]);
  });

  it('plans no change and makes only reads when the listeners, certificate and ingress match', async () => {
    existingLb({ perms: [perm(80), perm(443)], listeners: [httpListener(true), httpsListener()] });
    const ctx = lbCtx();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.changes).toEqual([]);
    expect(plan.action).toBe('noop');
    expect(plan.outputsChange).toBeUndefined();
    expect(plan.current).toEqual({ ...BASE, httpsListenerArn: HTTPS_ARN });
    expect(readsOnly(allCalls())).toBe(true);
  });

  it('adding a certificate later opens 443, creates the HTTPS listener and turns port 80 into a redirect', async () => {
    existingLb({ perms: [perm(80)], listeners: [httpListener(false)] });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    elb.on(CreateListenerCommand).resolves({ Listeners: [{ ListenerArn: HTTPS_ARN }] });
    elb.on(ModifyListenerCommand).resolves({});
    const ctx = lbCtx();
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.action).toBe('update');
    expect(plan.changes.map((c) => c.field)).toEqual(['ingress', 'listener.defaultAction', 'httpsListener']);
    // Services' rules and URLs move to HTTPS, so the steps that depend on this one must re-plan.
    expect(plan.outputsChange).toBe(true);
    ec2.resetHistory();
    elb.resetHistory();
    const state = await loadBalancerStep.apply(ctx, plan);
    expect(state.httpsListenerArn).toBe(HTTPS_ARN);
    expect(commandNames(ec2)).toEqual(['AuthorizeSecurityGroupIngress']);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTPS from the internet' }] },
    ]);
    // The listener the redirect points at exists before the redirect does.
    expect(commandNames(elb)).toEqual(['CreateListener', 'ModifyListener']);
    expect(elb.commandCalls(CreateListenerCommand)[0]!.args[0].input).toMatchObject({
      Protocol: 'HTTPS',
      Port: 443,
      Certificates: [{ CertificateArn: CERT }],
    });
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
      ListenerArn: HTTP_ARN,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
    });
  });

  it('removing the certificate closes 443, puts the 404 back on port 80 and deletes the HTTPS listener', async () => {
    existingLb({ perms: [perm(80), perm(443)], listeners: [httpListener(true), httpsListener()] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    elb.on(ModifyListenerCommand).resolves({});
    elb.on(DeleteListenerCommand).resolves({});
    const ctx = lbCtx(httpOnly);
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.changes.map((c) => c.field)).toEqual(['ingress', 'listener.defaultAction', 'httpsListener']);
    expect(plan.outputsChange).toBe(true);
    expect(plan.current?.httpsListenerArn).toBeUndefined();
    ec2.resetHistory();
    elb.resetHistory();
    const state = await loadBalancerStep.apply(ctx, plan);
    expect(state).toEqual(BASE);
    expect(commandNames(ec2)).toEqual(['RevokeSecurityGroupIngress']);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    ]);
    expect(commandNames(elb)).toEqual(['ModifyListener', 'DeleteListener']);
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions).toEqual([NOT_FOUND_404]);
    expect(elb.commandCalls(DeleteListenerCommand)[0]!.args[0].input).toEqual({ ListenerArn: HTTPS_ARN });
  });

  it('a new certificate ARN (or a drifted TLS policy) is a ModifyListener on the same 443 listener', async () => {
    existingLb({
      perms: [perm(80), perm(443)],
      listeners: [httpListener(true), httpsListener({ SslPolicy: 'ELBSecurityPolicy-2016-08' })],
    });
    elb.on(ModifyListenerCommand).resolves({});
    const ctx = lbCtx(withCert(CERT2));
    const plan = await loadBalancerStep.plan(ctx);
    expect(plan.changes).toEqual([
      { field: 'httpsListener.certificate', before: CERT, after: CERT2 },
      { field: 'httpsListener.sslPolicy', before: 'ELBSecurityPolicy-2016-08', after: TLS_POLICY },
    ]);
    // Same listener ARN: nothing downstream changes.
    expect(plan.outputsChange).toBeUndefined();
    elb.resetHistory();
    ec2.resetHistory();
    expect((await loadBalancerStep.apply(ctx, plan)).httpsListenerArn).toBe(HTTPS_ARN);
    expect(allCalls()).toEqual(['ModifyListener']);
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input).toEqual({
      ListenerArn: HTTPS_ARN,
      Protocol: 'HTTPS',
      Port: 443,
      SslPolicy: TLS_POLICY,
      Certificates: [{ CertificateArn: CERT2 }],
      DefaultActions: [NOT_FOUND_404],
    });
  });

  it('opens 80 and 443 only to loadBalancer.allowedCidrs', async () => {
    existingLb({ perms: [perm(80, '203.0.113.0/24'), perm(443, '203.0.113.0/24')], listeners: [httpListener(true), httpsListener()] });
    const plan = await loadBalancerStep.plan(lbCtx(withCert(CERT, ', allowedCidrs: [203.0.113.0/24]')));
    expect(plan.action).toBe('noop');
  });
});

describe('HTTP-only warning', () => {
  it('says the service is HTTP-only (the engine shows each warning once per run)', async () => {
    existingLb({ perms: [perm(80)], listeners: [httpListener(false)] });
    const ctx = lbCtx(httpOnly);
    await loadBalancerStep.plan(ctx);
    expect(ctx.warningCodes).toEqual(['load-balancer.http-only']);
    expect(ctx.warnings).toEqual(['Load balancer shop-default is HTTP-only: set loadBalancer.certificateArn to serve HTTPS']);
  });

  it('says it in the plan of a first deploy, while the load balancer still waits for the network', async () => {
    const ctx = stepContext(loadBalancerStep, { config: httpOnly });
    await expect(loadBalancerStep.plan(ctx)).rejects.toThrow(/network/);
    expect(ctx.warningCodes).toEqual(['load-balancer.http-only']);
    expect(allCalls()).toEqual([]);
  });

  it('says nothing with a certificate', async () => {
    existingLb({ perms: [perm(80), perm(443)], listeners: [httpListener(true), httpsListener()] });
    const ctx = lbCtx();
    await loadBalancerStep.plan(ctx);
    expect(ctx.warnings).toEqual([]);
  });
});

describe('service rules with HTTPS', () => {
  const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-default-web/1';
  const OLD_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-default/abc/http/r1';
  const NEW_RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-default/abc/https/r2';
  const LB_HTTPS: LoadBalancerState = { ...BASE, httpsListenerArn: HTTPS_ARN };
  const rule = (arn: string): Rule => ({
    RuleArn: arn,
    Priority: String(rulePriority('/')),
    IsDefault: false,
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
  });
  const DEFAULT_RULE: Rule = {
    RuleArn: 'arn:default',
    Priority: 'default',
    IsDefault: true,
    Conditions: [],
    Actions: [{ Type: 'fixed-response' }],
  };

  function existingTg(rulesByListener: Record<string, Rule[]>) {
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [
        {
          TargetGroupArn: TG_ARN,
          TargetGroupName: 'shop-default-web',
          Protocol: 'HTTP',
          Port: 80,
          VpcId: 'vpc-1',
          TargetType: 'ip',
          HealthCheckPath: '/',
        },
      ],
    });
    elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
      TagDescriptions: input.ResourceArns.map((ResourceArn) => ({ ResourceArn, Tags: OWNER_TAGS })),
    }));
    elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] });
    elb
      .on(DescribeRulesCommand)
      .callsFake((input: { ListenerArn: string }) => ({ Rules: [...(rulesByListener[input.ListenerArn] ?? []), DEFAULT_RULE] }));
  }
  const tgCtx = (lb: LoadBalancerState, previous?: TargetGroupState) =>
    stepContext(targetGroupStep, { scope: 'web', config: withCert(), deps: { network: NETWORK, 'load-balancer': lb }, previous });

  it('puts a new service rule on the 443 listener, not on the redirecting port 80', async () => {
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    elb.on(DescribeRulesCommand).resolves({ Rules: [DEFAULT_RULE] });
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: NEW_RULE }] });
    elb.on(CreateTargetGroupCommand).resolves({ TargetGroups: [{ TargetGroupArn: TG_ARN }] });
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    const ctx = tgCtx(LB_HTTPS);
    const plan = await targetGroupStep.plan(ctx);
    expect(elb.commandCalls(DescribeRulesCommand).map((c) => c.args[0].input.ListenerArn)).toEqual([HTTPS_ARN, HTTP_ARN]);
    const state = await targetGroupStep.apply(ctx, plan);
    expect(state.ruleArn).toBe(NEW_RULE);
    expect(elb.commandCalls(CreateRuleCommand).map((c) => c.args[0].input.ListenerArn)).toEqual([HTTPS_ARN]);
  });

  it('moves an existing rule from port 80 to 443: creates the new one first, then deletes the old', async () => {
    existingTg({ [HTTP_ARN]: [rule(OLD_RULE)] });
    elb.on(CreateRuleCommand).resolves({ Rules: [{ RuleArn: NEW_RULE }] });
    elb.on(DeleteRuleCommand).resolves({});
    const ctx = tgCtx(LB_HTTPS, { targetGroupArn: TG_ARN, targetGroupName: 'shop-default-web', ruleArn: OLD_RULE });
    const plan = await targetGroupStep.plan(ctx);
    expect(plan).toMatchObject({ action: 'update', changes: [{ field: 'rule.listener', before: 'HTTP:80', after: 'HTTPS:443' }] });
    elb.resetHistory();
    const state = await targetGroupStep.apply(ctx, plan);
    expect(state).toEqual({ targetGroupArn: TG_ARN, targetGroupName: 'shop-default-web', ruleArn: NEW_RULE });
    expect(commandNames(elb)).toEqual(['DescribeRules', 'CreateRule', 'DeleteRule']);
    expect(elb.commandCalls(CreateRuleCommand)[0]!.args[0].input).toMatchObject({
      ListenerArn: HTTPS_ARN,
      Actions: [{ Type: 'forward', TargetGroupArn: TG_ARN }],
    });
    expect(elb.commandCalls(DeleteRuleCommand)[0]!.args[0].input).toEqual({ RuleArn: OLD_RULE });
  });

  it('is a no-op when the rule is already on the 443 listener and none is left on port 80', async () => {
    existingTg({ [HTTPS_ARN]: [rule(NEW_RULE)] });
    const plan = await targetGroupStep.plan(
      tgCtx(LB_HTTPS, { targetGroupArn: TG_ARN, targetGroupName: 'shop-default-web', ruleArn: NEW_RULE }),
    );
    expect(plan.changes).toEqual([]);
    expect(plan.action).toBe('noop');
    expect(readsOnly(commandNames(elb))).toBe(true);
  });

  it('cleans up a rule a killed run left on port 80 beside the 443 one', async () => {
    existingTg({ [HTTPS_ARN]: [rule(NEW_RULE)], [HTTP_ARN]: [rule(OLD_RULE)] });
    elb.on(DeleteRuleCommand).resolves({});
    const ctx = tgCtx(LB_HTTPS, { targetGroupArn: TG_ARN, targetGroupName: 'shop-default-web', ruleArn: OLD_RULE });
    const plan = await targetGroupStep.plan(ctx);
    expect(plan.changes).toEqual([{ field: 'rule.onHttpListener', before: OLD_RULE, after: null }]);
    elb.resetHistory();
    expect((await targetGroupStep.apply(ctx, plan)).ruleArn).toBe(NEW_RULE);
    expect(commandNames(elb)).toEqual(['DeleteRule']);
  });
});
