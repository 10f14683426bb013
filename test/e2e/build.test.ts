import { DescribeImagesCommand, DescribeRepositoriesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeRun } from './harness/cli.js';
import { createDockerStub, type DockerStub } from './harness/docker.js';
import { startE2e, type E2e } from './harness/fixture.js';
import { inventory, nonEmpty, total, type Clients } from './harness/inventory.js';
import type { Moto } from './harness/moto.js';
import type { StrictProxy } from './harness/strict/proxy.js';
import { copyFixture } from './harness/workdir.js';

const REPO = 'shop/default/web';

/**
 * A service built from a Dockerfile: the CLI drives `docker` (a stub on PATH that records
 * argv and "pushes" by calling ECR PutImage on moto), then runs the pushed image. The CLI's own
 * AWS calls go through the strict AWS layer.
 */
describe('deploy with build: Dockerfile → ECR → task definition', () => {
  let env: E2e;
  let moto: Moto;
  let proxy: StrictProxy;
  let aws: Clients;
  let docker: DockerStub;
  let account: string;
  let password: string;
  let pushedRef: string;

  const cli = (args: string[]) => env.cli(args, { env: docker.env({ ecrEndpoint: moto.endpoint }) });
  const callList = () => env.callList();

  beforeAll(async () => {
    env = await startE2e('build');
    ({ moto, proxy, aws } = env);
    docker = await createDockerStub();
    await copyFixture('build', env.dir, '.');
    account = (await aws.sts.send(new GetCallerIdentityCommand({}))).Account!;
    // moto hands out the same token every time, so we know the password the CLI will pipe to docker.
    const token = (await aws.ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!.authorizationToken!;
    password = Buffer.from(token, 'base64').toString('utf8').split(':').slice(1).join(':');
    expect(password.length).toBeGreaterThan(0);
  });

  afterAll(async () => {
    await env?.stop();
    await docker?.remove();
  });

  it('plan is read-only: it names the content tag it would build and push, and runs no docker command', async () => {
    proxy.clear();
    const r = await cli(['plan']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout).toMatch(/Image build and push \(web\)/);
    expect(await docker.calls(), 'plan ran docker').toEqual([]);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);
  });

  it('builds, logs in via stdin, tags and pushes to the app repository', async () => {
    const r = await cli(['deploy', '--yes', '--verbose']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(r.stdout + r.stderr, 'the registry password leaked into the output').not.toContain(password);

    const calls = await docker.calls();
    const verbs = calls.map((c) => c[0]);
    expect(verbs).toContain('build');
    expect(verbs).toContain('login');
    expect(verbs).toContain('tag');
    expect(JSON.stringify(calls), 'the password must not be in docker argv').not.toContain(password);

    const logins = await docker.logins();
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((l) => l.passwordOnStdin)).toBe(true);

    const pushes = calls.filter((c) => c[0] === 'push');
    expect(pushes).toHaveLength(1);
    pushedRef = pushes[0]![1]!;
    const registry = `${account}.dkr.ecr.us-east-1.amazonaws.com`;
    expect(pushedRef).toMatch(new RegExp(`^${registry.replace(/\./g, '\\.')}/${REPO}:src-[0-9a-f]{12}$`));
    expect(verbs.indexOf('build')).toBeLessThan(verbs.indexOf('push'));
    expect(verbs.lastIndexOf('login')).toBeLessThan(verbs.indexOf('push'));
    expect(
      calls.some((c) => c[0] === 'tag' && c[2] === pushedRef),
      'tagged with the pushed reference',
    ).toBe(true);
  });

  it('the image is in ECR and the running task definition uses it', async () => {
    const tag = pushedRef.slice(pushedRef.lastIndexOf(':') + 1);
    const images = await aws.ecr.send(new DescribeImagesCommand({ repositoryName: REPO }));
    expect(images.imageDetails?.flatMap((d) => d.imageTags ?? [])).toContain(tag);

    const inv = await inventory(moto.endpoint, 'shop', 'default', aws);
    expect(inv.repositories).toEqual([REPO]);
    expect(inv.services).toHaveLength(1);
    const svc = (await aws.ecs.send(new DescribeServicesCommand({ cluster: inv.clusters[0], services: inv.services }))).services![0]!;
    const td = (await aws.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }))).taskDefinition!;
    expect(td.containerDefinitions?.[0]?.image).toBe(pushedRef);
  });

  it('a second deploy builds nothing, pushes nothing and makes zero mutating AWS calls', async () => {
    const before = (await docker.calls()).length;
    proxy.clear();
    const r = await cli(['deploy', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    expect(
      proxy.calls.filter((c) => c.mutating),
      `AWS calls:\n${callList()}`,
    ).toEqual([]);
    const newCalls = (await docker.calls()).slice(before);
    expect(newCalls, 'an unchanged source needs no docker command at all').toEqual([]);
  });

  it('teardown deletes the repository (with its images) and everything else', async () => {
    const r = await cli(['teardown', '--yes']);
    expect(r.code, describeRun(r)).toBe(0);
    await expect(aws.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [REPO] }))).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
    });
    const inv = await inventory(moto.endpoint, 'shop', 'default', aws);
    expect(total(inv), JSON.stringify(nonEmpty(inv))).toBe(0);
  });
});
