import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ExecuteCommandCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExec, type ExecOptions } from '../../../src/cli/commands/exec/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { ONE_SERVICE, TD, deployedManifest, mockIdentity, workdir, type Workdir } from './day2-fixture.js';

const ecs = mockClient(ECSClient);
let w: Workdir;
beforeEach(() => {
  mockIdentity();
  ecs.reset();
  strict(ecs);
});
afterEach(() => w?.cleanup());

const EXEC_CONFIG = ONE_SERVICE.replace('    port: 80\n', '    port: 80\n    exec: true\n');
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/shop-default/0a1b2c3d';
const SESSION = {
  sessionId: 'ecs-execute-command-1',
  streamUrl: 'wss://ssmmessages.us-east-1.amazonaws.com/v1/data-channel/x',
  tokenValue: 'tok',
};

/** A stand-in session-manager-plugin on PATH that records its arguments and exits with `code`. */
async function fakePlugin(dir: string, code = 0): Promise<{ env: NodeJS.ProcessEnv; args: () => Promise<string[]> }> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const out = path.join(dir, 'plugin-args.json');
  const script = path.join(bin, 'session-manager-plugin');
  await writeFile(
    script,
    `#!/usr/bin/env node\nrequire('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)));\nprocess.exit(${code});\n`,
  );
  await chmod(script, 0o755);
  return {
    env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
    args: async () => JSON.parse(await readFile(out, 'utf8')) as string[],
  };
}

function seed(enableExecuteCommand = true, taskExec = true): void {
  ecs
    .on(DescribeServicesCommand)
    .resolves({ services: [{ serviceName: 'web', status: 'ACTIVE', taskDefinition: TD(2), enableExecuteCommand }] });
  ecs.on(ListTasksCommand).resolves({ taskArns: [TASK] });
  ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        taskArn: TASK,
        lastStatus: 'RUNNING',
        enableExecuteCommand: taskExec,
        startedAt: new Date(),
        containers: [{ name: 'web', runtimeId: '0a1b2c3d-1234' }],
      },
    ],
  });
  ecs.on(ExecuteCommandCommand).resolves({ session: SESSION, taskArn: TASK, containerName: 'web', interactive: true });
}

const opts = (w: Workdir, o: Partial<ExecOptions> = {}): ExecOptions => ({ ...w.opts, service: 'web', command: [], ...o });

describe('exec', () => {
  it('opens a shell in the newest running task and hands the session to session-manager-plugin, with its exit code', async () => {
    w = await workdir(EXEC_CONFIG, deployedManifest());
    const plugin = await fakePlugin(w.dir, 0);
    w.io.env = plugin.env;
    seed();
    expect(await runExec(opts(w), w.io, w.reporter)).toBe(0);
    expect(ecs.commandCalls(ExecuteCommandCommand)[0]!.args[0].input).toEqual({
      cluster: 'shop-default',
      task: TASK,
      container: 'web',
      interactive: true,
      command: '/bin/sh',
    });
    const args = await plugin.args();
    expect(JSON.parse(args[0]!)).toEqual(SESSION);
    expect(args.slice(1)).toEqual([
      'us-east-1',
      'StartSession',
      '',
      JSON.stringify({ Target: 'ecs:shop-default_0a1b2c3d_0a1b2c3d-1234' }),
      'https://ssm.us-east-1.amazonaws.com',
    ]);
  });

  it('runs the command after --, and exits with the exit code the plugin gives', async () => {
    w = await workdir(EXEC_CONFIG, deployedManifest());
    const plugin = await fakePlugin(w.dir, 3);
    w.io.env = plugin.env;
    seed();
    expect(await runExec(opts(w, { command: ['ls', '-la', '/app'] }), w.io, w.reporter)).toBe(3);
    expect(ecs.commandCalls(ExecuteCommandCommand)[0]!.args[0].input.command).toBe('ls -la /app');
  });

  it('without session-manager-plugin on PATH: says what to install, before any ECS call', async () => {
    w = await workdir(EXEC_CONFIG, deployedManifest());
    w.io.env = { PATH: path.join(w.dir, 'nowhere') };
    seed();
    await expect(runExec(opts(w), w.io, w.reporter)).rejects.toMatchObject({
      code: 'exec.no-plugin',
      fix: expect.stringContaining('session-manager-working-with-install-plugin.html'),
    });
    expect(commandNames(ecs)).toEqual([]);
  });

  it('on a service without exec: names the field to set; with exec set but not deployed: says to deploy', async () => {
    w = await workdir(ONE_SERVICE, deployedManifest());
    w.io.env = (await fakePlugin(w.dir)).env;
    seed(false);
    await expect(runExec(opts(w), w.io, w.reporter)).rejects.toMatchObject({
      code: 'exec.not-enabled',
      fix: expect.stringContaining('services.web.exec: true'),
    });
    await w.cleanup();
    w = await workdir(EXEC_CONFIG, deployedManifest());
    w.io.env = (await fakePlugin(w.dir)).env;
    await expect(runExec(opts(w), w.io, w.reporter)).rejects.toMatchObject({
      code: 'exec.not-enabled',
      fix: 'Run `ecs-kit deploy` to apply it.',
    });
    expect(commandNames(ecs)).not.toContain('ExecuteCommand');
  });

  it('a task started before exec was turned on: says to deploy or pick a newer task', async () => {
    w = await workdir(EXEC_CONFIG, deployedManifest());
    w.io.env = (await fakePlugin(w.dir)).env;
    seed(true, false);
    await expect(runExec(opts(w), w.io, w.reporter)).rejects.toMatchObject({
      code: 'exec.not-enabled',
      message: expect.stringContaining('0a1b2c3d'),
    });
    expect(commandNames(ecs)).not.toContain('ExecuteCommand');
  });
});
