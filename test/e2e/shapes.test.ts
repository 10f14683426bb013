import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  type Subnet,
} from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, type Service } from '@aws-sdk/client-ecs';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total, type Clients, type Inventory } from './harness/inventory.js';
import type { Moto } from './harness/moto.js';
import type { StrictProxy } from './harness/strict/proxy.js';

/**
 * The network and capacity shapes of issue 3, each deployed through the built CLI and the strict
 * AWS layer against one moto (distinct app names, so they share it): deploy → independent checks
 * → no-op re-deploy with zero mutating calls → teardown that leaves nothing tagged and nothing of
 * the user's touched, each in one run. (The learning shape is covered by lifecycle.test.ts.)
 */

const ENV = 'default';
const counts: Record<string, { deploy: number; deployMutating: number; noop: number; teardown: number; ms: number[] }> = {};

describe('deployment shapes', () => {
  let env: E2e;
  let moto: Moto;
  let proxy: StrictProxy;
  let aws: Clients;

  beforeAll(async () => {
    env = await startE2e('shapes');
    ({ moto, proxy, aws } = env);
  });

  afterAll(async () => {
    // Call counts for the closing note of the issue.
    if (Object.keys(counts).length)
      // eslint-disable-next-line no-console -- call counts for the issue's closing note
      console.log(
        `AWS calls per shape (deploy / mutating / no-op re-deploy / teardown):\n${Object.entries(counts)
          .map(([k, v]) => `  ${k}: ${v.deploy} / ${v.deployMutating} / ${v.noop} / ${v.teardown} calls; ${v.ms.join(' / ')} ms`)
          .join('\n')}`,
      );
    await env?.stop();
  });

  const callList = () => env.callList();

  /** deploy → check → no-op → teardown for one app; `check` gets the inventory after deploy. */
  /** Things of the user's that the inventory cannot tell apart from ours. */
  const foreign: string[] = [];

  async function lifecycle(
    app: string,
    yaml: string,
    check: (inv: Inventory, svc: Service) => Promise<void>,
    beforeNoop?: (dir: string) => Promise<void>,
  ): Promise<void> {
    // The shapes share one moto and one layer, so each app gets its own working dir.
    // moto ignores tag filters on DescribeNatGateways, so the inventory lists the user's own NAT too.
    const owned = async () => {
      const inv = await inventory(moto.endpoint, app, ENV, aws);
      return Object.fromEntries(
        Object.entries(inv).map(([k, ids]) => [k, (ids as string[]).filter((id: string) => !foreign.includes(id))]),
      ) as unknown as Inventory;
    };
    const dir = path.join(env.dir, app);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'ecs-kit.yml'), yaml);
    const cli = (args: string[]) => env.cli(args, { cwd: dir });

    proxy.clear();
    const ms: number[] = [];
    const timed = async (args: string[]) => {
      const t0 = Date.now();
      const r = await cli(args);
      ms.push(Date.now() - t0);
      return r;
    };
    const deployed = await timed(['deploy', '--yes', '--json']);
    expect(deployed.code, describeRun(deployed)).toBe(0);
    const deployCalls = proxy.calls.length;
    const deployMutating = proxy.calls.filter((c) => c.mutating).length;

    const inv = await owned();
    expect(inv.clusters, JSON.stringify(nonEmpty(inv))).toHaveLength(1);
    expect(inv.services).toHaveLength(1);
    const svc = (await aws.ecs.send(new DescribeServicesCommand({ cluster: inv.clusters[0], services: inv.services }))).services![0]!;
    await check(inv, svc);
    await beforeNoop?.(dir);

    proxy.clear();
    const again = await timed(['deploy', '--yes']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(`${again.stdout}\n${again.stderr}`).toMatch(/no changes/i);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);
    const noop = proxy.calls.length;

    proxy.clear();
    const down = await timed(['teardown', '--yes']);
    expect(down.code, describeRun(down)).toBe(0);
    const left = await owned();
    expect(total(left), JSON.stringify(nonEmpty(left))).toBe(0);
    counts[app] = { deploy: deployCalls, deployMutating, noop, teardown: proxy.calls.length, ms };
  }

  async function subnetsOf(ids: string[]): Promise<Subnet[]> {
    return (await aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ids }))).Subnets ?? [];
  }

  /** Tasks in private subnets (routed through a NAT, no public IP); the ALB in public subnets (routed to an IGW). */
  async function checkProductionPlacement(svc: Service, vpcId: string, expectNats: number): Promise<void> {
    const vpcConf = svc.networkConfiguration?.awsvpcConfiguration;
    expect(vpcConf?.assignPublicIp).toBe('DISABLED');
    const taskSubnets = await subnetsOf(vpcConf?.subnets ?? []);
    expect(taskSubnets.length).toBeGreaterThanOrEqual(2);
    expect(new Set(taskSubnets.map((s) => s.AvailabilityZone)).size).toBe(taskSubnets.length);
    const tables =
      (await aws.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }))).RouteTables ?? [];
    const defaultRouteOf = (subnetId: string) => {
      const t =
        tables.find((rt) => rt.Associations?.some((a) => a.SubnetId === subnetId)) ??
        tables.find((rt) => rt.Associations?.some((a) => a.Main));
      return t?.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
    };
    const natIds = new Set<string>();
    for (const s of taskSubnets) {
      expect(s.VpcId).toBe(vpcId);
      expect(s.MapPublicIpOnLaunch ?? false).toBe(false);
      const route = defaultRouteOf(s.SubnetId!);
      expect(route?.NatGatewayId, `route of task subnet ${s.SubnetId}`).toMatch(/^nat-/);
      natIds.add(route!.NatGatewayId!);
    }
    expect(natIds.size).toBe(expectNats);
    const nats = (await aws.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [...natIds] }))).NatGateways ?? [];
    expect(nats.every((n) => n.State === 'available' && n.NatGatewayAddresses?.[0]?.AllocationId)).toBe(true);

    const lbs = (await aws.elb.send(new DescribeLoadBalancersCommand({ Names: [svc.clusterArn!.split('/').pop()!] }))).LoadBalancers ?? [];
    expect(lbs).toHaveLength(1);
    const lbSubnets = lbs[0]!.AvailabilityZones!.map((z) => z.SubnetId!);
    expect(lbSubnets.some((id) => vpcConf!.subnets!.includes(id))).toBe(false);
    for (const id of lbSubnets) expect(defaultRouteOf(id)?.GatewayId, `route of ALB subnet ${id}`).toMatch(/^igw-/);
    // Each NAT sits in a public subnet.
    for (const n of nats) expect(defaultRouteOf(n.SubnetId!)?.GatewayId).toMatch(/^igw-/);
  }

  async function asSchemaV2(dir: string): Promise<void> {
    const file = path.join(dir, '.ecs-kit', `${ENV}.json`);
    const m = JSON.parse(await readFile(file, 'utf8')) as { schemaVersion: number; steps: Record<string, { state: object }> };
    expect(m.schemaVersion).toBe(3);
    const { nat, ...steps } = m.steps;
    expect(nat?.state).toMatchObject({ natGatewayIds: [expect.stringMatching(/^nat-/)] });
    const { vpcId: _vpcId, ...natFields } = nat!.state as { vpcId: string };
    steps['network'] = { ...steps['network']!, state: { ...steps['network']!.state, ...natFields } };
    await writeFile(file, JSON.stringify({ ...m, schemaVersion: 2, steps }, null, 2));
  }

  it('production, single NAT gateway', async () => {
    const app = 'prod-single';
    await lifecycle(
      app,
      `app: ${app}\nnetwork: { profile: production }\nservices:\n  web: { image: nginx:1.27, port: 80 }\n`,
      async (inv, svc) => {
        expect(inv.vpcs).toHaveLength(1);
        expect(inv.subnets).toHaveLength(4);
        expect(inv.natGateways).toHaveLength(1);
        expect(inv.elasticIps).toHaveLength(1);
        await checkProductionPlacement(svc, inv.vpcs[0]!, 1);
      },
      // The environment as a release before the nat step recorded it (schema 2: the NAT fields in the network's
      // state): it migrates, re-deploys with no mutating call and tears down with nothing left.
      asSchemaV2,
    );
  });

  it('production, one NAT gateway per AZ over 3 AZs', async () => {
    const app = 'prod-peraz';
    await lifecycle(
      app,
      `app: ${app}\nnetwork: { profile: production, nat: per-az, azs: 3 }\nservices:\n  web: { image: nginx:1.27, port: 80 }\n`,
      async (inv, svc) => {
        expect(inv.subnets).toHaveLength(6);
        expect(inv.natGateways).toHaveLength(3);
        expect(inv.elasticIps).toHaveLength(3);
        await checkProductionPlacement(svc, inv.vpcs[0]!, 3);
      },
    );
  });

  it('your own VPC: used as is, and still all there after teardown', async () => {
    // A production-style VPC the user built by hand (straight into moto, not via the layer).
    const ec2 = aws.ec2;
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const mk = async (cidr: string, az: string) =>
      (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az }))).Subnet!.SubnetId!;
    const pub = [await mk('10.60.0.0/24', 'us-east-1a'), await mk('10.60.1.0/24', 'us-east-1b')];
    const priv = [await mk('10.60.10.0/24', 'us-east-1a'), await mk('10.60.11.0/24', 'us-east-1b')];
    const pubRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: pubRt, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw }));
    for (const s of pub) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: pubRt, SubnetId: s }));
    const eip = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
    const nat = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: pub[0], AllocationId: eip }))).NatGateway!.NatGatewayId!;
    foreign.push(nat);
    const privRt = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new CreateRouteCommand({ RouteTableId: privRt, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat }));
    for (const s of priv) await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privRt, SubnetId: s }));

    const app = 'byo-vpc';
    const yaml = `app: ${app}\nnetwork:\n  vpcId: ${vpcId}\n  publicSubnetIds: [${pub.join(', ')}]\n  privateSubnetIds: [${priv.join(', ')}]\nservices:\n  web: { image: nginx:1.27, port: 80 }\n`;
    await lifecycle(app, yaml, async (inv, svc) => {
      // Nothing network-shaped was created: only security groups inside the user's VPC.
      expect(inv.vpcs).toEqual([]);
      expect(inv.subnets).toEqual([]);
      expect(inv.routeTables).toEqual([]);
      expect(inv.natGateways).toEqual([]);
      expect(inv.internetGateways).toEqual([]);
      expect(svc.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('DISABLED');
      expect([...(svc.networkConfiguration?.awsvpcConfiguration?.subnets ?? [])].sort()).toEqual([...priv].sort());
      const lb = (await aws.elb.send(new DescribeLoadBalancersCommand({ Names: [`${app}-${ENV}`] }))).LoadBalancers![0]!;
      expect(lb.VpcId).toBe(vpcId);
      expect(lb.AvailabilityZones!.map((z) => z.SubnetId).sort()).toEqual([...pub].sort());
    });

    // Everything of the user's is still there.
    expect((await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }))).Vpcs).toHaveLength(1);
    expect(await subnetsOf([...pub, ...priv])).toHaveLength(4);
    const rts = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [pubRt, privRt] }))).RouteTables ?? [];
    expect(rts).toHaveLength(2);
    expect(rts.find((t) => t.RouteTableId === privRt)?.Routes?.some((r) => r.NatGatewayId === nat)).toBe(true);
    expect((await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }))).NatGateways?.[0]?.State).toBe('available');
  });

  it('Fargate Spot, with a base on FARGATE', async () => {
    const app = 'spot';
    const yaml = `app: ${app}\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n    capacityStrategy:\n      - { provider: FARGATE, base: 1, weight: 1 }\n      - { provider: FARGATE_SPOT, weight: 3 }\n`;
    await lifecycle(app, yaml, async (inv, svc) => {
      const cluster = (await aws.ecs.send(new DescribeClustersCommand({ clusters: inv.clusters }))).clusters![0]!;
      expect([...(cluster.capacityProviders ?? [])].sort()).toEqual(['FARGATE', 'FARGATE_SPOT']);
      // moto drops capacityProviderStrategy on describe (and reports launchType EC2), so check what the CLI sent.
      expect(svc.launchType).not.toBe('FARGATE');
      const created = proxy
        .sentOf('CreateService')
        .filter((c) => c.params.serviceName === 'web' && String(c.params.cluster).endsWith(`${app}-${ENV}`));
      expect(created, 'one CreateService for the spot app').toHaveLength(1);
      expect(created[0]!.error, 'the layer let it through').toBeUndefined();
      expect(created[0]!.params.launchType).toBeUndefined();
      expect(created[0]!.params.capacityProviderStrategy).toEqual([
        expect.objectContaining({ capacityProvider: 'FARGATE', base: 1, weight: 1 }),
        expect.objectContaining({ capacityProvider: 'FARGATE_SPOT', weight: 3 }),
      ]);
      const td = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }))).taskDefinition!;
      expect(td.requiresCompatibilities).toContain('FARGATE');
    });
  });
});
