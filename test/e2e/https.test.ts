import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ACMClient, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand, DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun } from './harness/cli.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total, type Clients } from './harness/inventory.js';
import type { Moto } from './harness/moto.js';
import type { StrictProxy } from './harness/strict/proxy.js';

const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/**
 * HTTPS end to end through the strict AWS layer: a certificate made in moto's ACM (as the user would have in
 * theirs), deploy with loadBalancer.certificateArn, then independent describes of the
 * listeners and the service's rule, a no-op re-deploy and a clean teardown.
 */
describe('https: 443 listener with an ACM certificate, 80 → 443 redirect', () => {
  let env: E2e;
  let moto: Moto;
  let proxy: StrictProxy;
  let aws: Clients;
  let certificateArn: string;
  const cli = (args: string[]) => env.cli(args);
  const callList = () => env.callList();

  beforeAll(async () => {
    env = await startE2e('https');
    ({ moto, proxy, aws } = env);
    // The user's certificate, made straight in moto (not through the layer): ecs-kit only references it.
    const acm = new ACMClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    certificateArn = (await acm.send(new RequestCertificateCommand({ DomainName: 'shop.example.com', ValidationMethod: 'DNS' })))
      .CertificateArn!;
    await writeFile(
      path.join(env.dir, 'ecs-kit.yml'),
      `app: shop\nloadBalancer:\n  certificateArn: "${certificateArn}"\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n`,
    );
  }, 30_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('deploys HTTPS, re-deploys with zero mutating calls, and tears everything down', async () => {
    const deployed = await cli(['deploy', '--yes', '--json']);
    expect(deployed.code, describeRun(deployed)).toBe(0);
    expect(deployed.events.some((e) => e.type === 'warn' && e.code === 'load-balancer.http-only')).toBe(false);

    // Independent describes, straight against moto.
    const inv = await inventory(moto.endpoint, 'shop', 'default', aws);
    expect(inv.loadBalancers, JSON.stringify(nonEmpty(inv))).toHaveLength(1);
    const lb = (await aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: inv.loadBalancers }))).LoadBalancers![0]!;
    const listeners = (await aws.elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners.map((l) => l.Port).sort()).toEqual([443, 80]);
    const https = listeners.find((l) => l.Port === 443)!;
    expect(https.Protocol).toBe('HTTPS');
    expect(https.SslPolicy).toBe(TLS_POLICY);
    expect(https.Certificates?.map((c) => c.CertificateArn)).toEqual([certificateArn]);
    const http = listeners.find((l) => l.Port === 80)!;
    expect(http.DefaultActions).toHaveLength(1);
    expect(http.DefaultActions![0]).toMatchObject({
      Type: 'redirect',
      RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
    });

    // The service's rule forwards from the 443 listener; port 80 has only its default redirect.
    expect(inv.targetGroups).toHaveLength(1);
    const httpsRules = ((await aws.elb.send(new DescribeRulesCommand({ ListenerArn: https.ListenerArn }))).Rules ?? []).filter(
      (r) => !r.IsDefault,
    );
    expect(
      httpsRules.map((r) => r.Actions?.[0]?.TargetGroupArn ?? r.Actions?.[0]?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn),
    ).toEqual(inv.targetGroups);
    const httpRules = ((await aws.elb.send(new DescribeRulesCommand({ ListenerArn: http.ListenerArn }))).Rules ?? []).filter(
      (r) => !r.IsDefault,
    );
    expect(httpRules).toEqual([]);

    // The LB security group opens exactly 80 and 443.
    const sg = (await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: lb.SecurityGroups }))).SecurityGroups![0]!;
    expect((sg.IpPermissions ?? []).map((p) => p.FromPort).sort()).toEqual([443, 80]);

    const url = deployed.events.find((e) => e.type === 'output' && /^https?:\/\//.test(String(e.value)))?.value;
    expect(url).toBe(`https://${lb.DNSName}/`);

    proxy.clear();
    const again = await cli(['deploy', '--yes']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(`${again.stdout}\n${again.stderr}`).toMatch(/no changes/i);
    expect(proxy.calls.length).toBeGreaterThan(0);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);

    const down = await cli(['teardown', '--yes']);
    expect(down.code, describeRun(down)).toBe(0);
    const after = await inventory(moto.endpoint, 'shop', 'default', aws);
    expect(total(after), JSON.stringify(nonEmpty(after))).toBe(0);
  }, 90_000);
});
