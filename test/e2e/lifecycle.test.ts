import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun, type CliResult } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, seedVpc, total, type Clients } from './harness/inventory.js';
import type { Moto } from './harness/moto.js';
import type { StrictProxy } from './harness/strict/proxy.js';
import { copyFixture, tempDir } from './harness/workdir.js';

const APP = 'shop';
const ENV = 'default';
const EXEC_POLICY = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';

/**
 * The whole life of one app through the built CLI and the strict AWS layer (AWS's rules and
 * timing in front of moto): init → a config error that touches nothing → deploy → independent
 * checks → no-op re-deploy → teardown → teardown again, each converging in one run.
 * The `it`s are ordered and share state; a failure early makes the later ones fail too.
 */
describe('lifecycle: init → deploy → re-deploy → teardown', () => {
  let env: E2e;
  let moto: Moto;
  let proxy: StrictProxy;
  let aws: Clients;
  let userVpc: { vpcId: string; subnetId: string };
  const cli = (args: string[], cwd = env.dir) => env.cli(args, { cwd });
  const callList = () => env.callList();

  beforeAll(async () => {
    env = await startE2e('lifecycle');
    ({ moto, proxy, aws } = env);
    // Something the user made by hand: ecs-kit must leave it alone. Seeded straight into moto, not via the layer.
    userVpc = await seedVpc(moto.endpoint, aws);
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('(a) init writes ecs-kit.yml', async () => {
    const r = await cli(['init', '--yes', '--name', APP, '--image', 'nginx:1.27', '--port', '80']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(existsSync(path.join(env.dir, 'ecs-kit.yml'))).toBe(true);
  });

  it('(b) an invalid config exits 2, names the field, and makes no AWS call', async () => {
    const bad = await tempDir('bad-config');
    try {
      await copyFixture('bad-cpu.yml', bad.dir, 'ecs-kit.yml');
      proxy.clear();
      const r = await cli(['deploy', '--yes'], bad.dir);
      expect(r.code, describeRun(r)).toBe(2);
      expect(r.stderr).toContain('services.web.cpu');
      expect(proxy.calls, callList()).toEqual([]);
    } finally {
      await bad.cleanup();
    }
  });

  let deployed: CliResult;
  it('(b2) deploy without --yes cannot prompt in CI: shows the plan, exits 2, changes nothing', async () => {
    proxy.clear();
    const r = await cli(['deploy']);
    expect(r.code, describeRun(r)).toBe(2);
    expect(r.stdout).toMatch(/Plan: \d+ to create/);
    expect(r.stderr).toMatch(/--yes/);
    expect(proxy.calls.length, 'planning reads AWS').toBeGreaterThan(0);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);
  });

  it('(c) deploy --json succeeds and prints only JSON lines, including the URL', async () => {
    deployed = await cli(['deploy', '--yes', '--json']);
    expect(deployed.code, describeRun(deployed)).toBe(0);
    const lines = deployed.stdout.split('\n').filter((l) => l.trim());
    for (const line of lines) expect(() => JSON.parse(line), `not JSON: ${line}`).not.toThrow();
    expect(deployed.events.length).toBe(lines.length);
    const outputs = deployed.events.filter((e) => e.type === 'output');
    expect(
      outputs.some((e) => typeof e.value === 'string' && e.value.startsWith('http://')),
      JSON.stringify(outputs),
    ).toBe(true);
    expect(deployed.events.at(-1)).toMatchObject({ type: 'run.done', command: 'deploy', outcome: 'applied' });
  });

  it('(d) AWS holds exactly the expected, correctly wired resources', async () => {
    const inv = await inventory(moto.endpoint, APP, ENV, aws);
    expect(inv.vpcs, JSON.stringify(nonEmpty(inv))).toHaveLength(1);
    const vpcId = inv.vpcs[0]!;
    expect(vpcId).not.toBe(userVpc.vpcId);

    // VPC with DNS on (ALB and ECR endpoints need both)
    for (const Attribute of ['enableDnsSupport', 'enableDnsHostnames'] as const) {
      const attr = await aws.ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }));
      const value = Attribute === 'enableDnsSupport' ? attr.EnableDnsSupport?.Value : attr.EnableDnsHostnames?.Value;
      expect(value, Attribute).toBe(true);
    }

    // two public subnets in two AZs, routed to an attached internet gateway
    expect(inv.subnets).toHaveLength(2);
    const subnets = (await aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: inv.subnets }))).Subnets ?? [];
    expect(subnets.every((s) => s.VpcId === vpcId)).toBe(true);
    expect(new Set(subnets.map((s) => s.AvailabilityZone)).size).toBe(2);
    expect(inv.internetGateways).toHaveLength(1);
    const igw = (await aws.ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: inv.internetGateways })))
      .InternetGateways![0]!;
    expect(igw.Attachments).toEqual([expect.objectContaining({ VpcId: vpcId })]);
    const rts = (await aws.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: inv.routeTables }))).RouteTables ?? [];
    const publicRt = rts.find((rt) =>
      rt.Routes?.some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId === igw.InternetGatewayId),
    );
    expect(publicRt, 'a route table with 0.0.0.0/0 → IGW').toBeDefined();
    expect(new Set(publicRt!.Associations?.map((a) => a.SubnetId).filter(Boolean))).toEqual(new Set(inv.subnets));

    // cluster
    expect(inv.clusters).toHaveLength(1);
    const cluster = (await aws.ecs.send(new DescribeClustersCommand({ clusters: inv.clusters }))).clusters![0]!;
    expect(cluster.status).toBe('ACTIVE');

    // service, and the task definition it actually runs
    expect(inv.services).toHaveLength(1);
    const svc = (await aws.ecs.send(new DescribeServicesCommand({ cluster: cluster.clusterArn, services: inv.services }))).services![0]!;
    expect(svc.status).toBe('ACTIVE');
    expect(svc.desiredCount).toBe(1);
    const td = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }))).taskDefinition!;
    expect(inv.taskDefinitions).toContain(td.taskDefinitionArn);
    expect(td.requiresCompatibilities).toContain('FARGATE');
    expect(td.networkMode).toBe('awsvpc');
    const container = td.containerDefinitions![0]!;
    expect(container.image).toBe('nginx:1.27');
    expect(container.logConfiguration?.logDriver).toBe('awslogs');
    expect(container.logConfiguration?.options?.['awslogs-group']).toBe('/ecs/shop/default/web');

    // execution role with the managed policy
    const execRoleName = td.executionRoleArn!.split('/').pop()!;
    expect(inv.roles).toContain(execRoleName);
    const attached = await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: execRoleName }));
    expect(attached.AttachedPolicies?.map((p) => p.PolicyArn)).toContain(EXEC_POLICY);

    // log group
    const groups = await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/shop/default/web' }));
    expect(groups.logGroups?.map((g) => g.logGroupName)).toContain('/ecs/shop/default/web');
    expect(inv.logGroups).toContain('/ecs/shop/default/web');

    // load balancer, listener, target group
    expect(inv.loadBalancers).toHaveLength(1);
    const lb = (await aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: inv.loadBalancers }))).LoadBalancers![0]!;
    expect(lb.Scheme).toBe('internet-facing');
    expect(lb.Type).toBe('application');
    expect(lb.VpcId).toBe(vpcId);
    const url = deployed.events.find((e) => e.type === 'output' && String(e.value).startsWith('http://'))?.value as string;
    expect(url.startsWith(`http://${lb.DNSName}`), `${url} should point at ${lb.DNSName}`).toBe(true);
    const listeners = (await aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners.map((l) => l.Port)).toContain(80);

    expect(inv.targetGroups).toHaveLength(1);
    const tg = (await aws.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: inv.targetGroups }))).TargetGroups![0]!;
    expect(tg.TargetType).toBe('ip');
    expect(tg.HealthCheckPath).toBe('/');
    expect(svc.loadBalancers?.map((l) => l.targetGroupArn)).toEqual([tg.TargetGroupArn]);

    // security groups: the world reaches the LB on 80; only the LB reaches the tasks
    const lbSgIds = lb.SecurityGroups ?? [];
    expect(lbSgIds).toHaveLength(1);
    const svcSgIds = svc.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? [];
    expect(svcSgIds).toHaveLength(1);
    const sgs = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...lbSgIds, ...svcSgIds] }))).SecurityGroups ?? [];
    const lbSg = sgs.find((g) => g.GroupId === lbSgIds[0])!;
    const svcSg = sgs.find((g) => g.GroupId === svcSgIds[0])!;
    expect(inv.securityGroups).toEqual(expect.arrayContaining([lbSg.GroupId, svcSg.GroupId]));
    const open80 = (p: IpPermission) => p.FromPort === 80 && p.ToPort === 80 && (p.IpRanges ?? []).some((r) => r.CidrIp === '0.0.0.0/0');
    expect(lbSg.IpPermissions?.some(open80), JSON.stringify(lbSg.IpPermissions)).toBe(true);
    const svcRules = svcSg.IpPermissions ?? [];
    expect(svcRules.length, JSON.stringify(svcRules)).toBeGreaterThan(0);
    for (const p of svcRules) {
      expect(p.IpRanges ?? [], JSON.stringify(p)).toEqual([]);
      expect(p.Ipv6Ranges ?? [], JSON.stringify(p)).toEqual([]);
      expect([p.IpProtocol, p.FromPort, p.ToPort]).toEqual(['tcp', 80, 80]);
      expect(p.UserIdGroupPairs?.map((u) => u.GroupId)).toEqual([lbSg.GroupId]);
    }
  });

  it('(e) a second deploy with no change makes zero mutating AWS calls', async () => {
    proxy.clear();
    const r = await cli(['deploy', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/no changes/i);
    expect(proxy.calls.length, 'the re-deploy should still read AWS').toBeGreaterThan(0);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);
  });

  it('(f) teardown removes everything ecs-kit created, and nothing else', async () => {
    const r = await cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    const inv = await inventory(moto.endpoint, APP, ENV, aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
    const left = await aws.ec2.send(new DescribeVpcsCommand({ VpcIds: [userVpc.vpcId] }));
    expect(left.Vpcs?.map((v) => v.VpcId)).toEqual([userVpc.vpcId]);
    const sub = await aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [userVpc.subnetId] }));
    expect(sub.Subnets).toHaveLength(1);
  });

  it('(g) a second teardown is a successful no-op', async () => {
    proxy.clear();
    const r = await cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);
  });
});
