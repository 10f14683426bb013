import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateRepositoryCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { CreateClusterCommand, DescribeClustersCommand, ECSClient } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv } from './harness/cli.js';
import { createDockerStub } from './harness/docker.js';
import { clientsFor, inventory, seedVpc, total } from './harness/inventory.js';
import { startMoto, type Moto } from './harness/moto.js';
import { startRecordingProxy, type RecordingProxy } from './harness/proxy.js';

const run = promisify(execFile);

// Proves the harness itself works, without any product code.
describe('e2e harness', () => {
  let moto: Moto;
  let proxy: RecordingProxy;
  let dir: string;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startRecordingProxy(moto.endpoint);
    dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-harness-'));
  });

  afterAll(async () => {
    await proxy?.stop();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('records SDK calls through the proxy and inventory sees tagged resources', async () => {
    const ecs = new ECSClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await ecs.send(
      new CreateClusterCommand({
        clusterName: 'probe-default',
        tags: [
          { key: 'ecs-kit:app', value: 'probe' },
          { key: 'ecs-kit:env', value: 'default' },
        ],
      }),
    );
    const described = await ecs.send(new DescribeClustersCommand({ clusters: ['probe-default'] }));
    expect(described.clusters?.[0]?.status).toBe('ACTIVE');

    expect(proxy.calls).toEqual([
      { service: 'ecs', operation: 'CreateCluster', mutating: true },
      { service: 'ecs', operation: 'DescribeClusters', mutating: false },
    ]);

    const inv = await inventory(moto.endpoint, 'probe', 'default');
    expect(inv.clusters).toHaveLength(1);
    expect(total(inv)).toBe(1);
    expect(total(await inventory(moto.endpoint, 'probe', 'other'))).toBe(0);
  });

  it('identifies query-protocol calls (EC2) and leaves untagged user resources out of the inventory', async () => {
    proxy.clear();
    const { vpcId } = await seedVpc(proxy.endpoint);
    expect(vpcId).toMatch(/^vpc-/);
    expect(proxy.calls).toEqual([
      { service: 'ec2', operation: 'CreateVpc', mutating: true },
      { service: 'ec2', operation: 'CreateSubnet', mutating: true },
    ]);
    expect((await inventory(moto.endpoint, 'probe', 'default')).vpcs).toEqual([]);
  });

  it('docker stub: build → inspect → tag → login → push lands the image in moto ECR', async () => {
    const clients = clientsFor(moto.endpoint);
    const repo = await clients.ecr.send(new CreateRepositoryCommand({ repositoryName: 'probe/default/web' }));
    const uri = repo.repository!.repositoryUri!;
    await writeFile(path.join(dir, 'Dockerfile'), 'FROM scratch\n');

    const stub = await createDockerStub();
    onTestFinished(() => stub.remove());
    const env = cleanEnv(stub.env({ ecrEndpoint: moto.endpoint }));
    const docker = (args: string[], input?: string) => {
      const p = run('docker', args, { cwd: dir, env, timeout: 30_000 });
      p.child.stdin?.end(input ?? '');
      return p;
    };

    await docker(['build', '--file', 'Dockerfile', '--tag', 'probe-web:local', '--platform', 'linux/amd64', '.']);
    const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', 'probe-web:local'])).stdout.trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    await docker(['tag', 'probe-web:local', `${uri}:sha-123`]);
    await docker(['login', '--username', 'AWS', '--password-stdin', uri.split('/')[0]!], 'secret-password');
    await docker(['push', `${uri}:sha-123`]);
    await docker(['push', `${uri}:sha-123`]); // pushing the same image again is fine

    const images = await clients.ecr.send(new DescribeImagesCommand({ repositoryName: 'probe/default/web' }));
    expect(images.imageDetails?.flatMap((d) => d.imageTags ?? [])).toContain('sha-123');

    const calls = await stub.calls();
    expect(calls.map((c) => c[0])).toEqual(['build', 'image', 'tag', 'login', 'push', 'push']);
    const logins = await stub.logins();
    expect(logins).toEqual([{ registry: uri.split('/')[0], username: 'AWS', passwordOnStdin: true }]);
    expect(JSON.stringify({ calls, logins })).not.toContain('secret-password');

    await expect(docker(['image', 'inspect', '--format', '{{.Id}}', 'nope:latest'])).rejects.toThrow(/No such image/);
  });

  it('moto reset wipes state', async () => {
    await moto.reset();
    expect(total(await inventory(moto.endpoint, 'probe', 'default'))).toBe(0);
  });
});

describe('startMoto', () => {
  it('explains how to install moto when it is missing', async () => {
    await expect(startMoto({ env: { PATH: '/nonexistent' } })).rejects.toThrow(
      "moto_server not found. Install it with: pip install 'moto[server]'",
    );
  });
});
