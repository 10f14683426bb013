import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { DescribeTasksCommand, ExecuteCommandCommand, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { explainAwsError } from '../../../aws/errors.js';
import type { Reporter } from '../../../engine/events.js';
import { EcsKitError } from '../../../errors.js';
import { taskId } from '../../../rollout/diagnosis.js';
import { deployedService, openDay2, pickServices, serviceLocation, type Day2Run } from '../../day2-context.js';
import type { GlobalOptions, Io } from '../../options.js';
import { emitRunDone } from '../../run-context.js';

export interface ExecOptions extends GlobalOptions {
  service: string;
  /** Run this instead of an interactive shell. */
  command: string[];
  task?: string;
  container?: string;
}

/** The AWS CLI's helper that carries an ECS Exec session (Session Manager plugin); ecs-kit hands the session to it. */
export const SESSION_MANAGER_PLUGIN = 'session-manager-plugin';
const PLUGIN_DOCS = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html';

/** The plugin's path on PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const exts = process.platform === 'win32' ? ['.exe', ''] : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/**
 * `ecs-kit exec <service> [--task ID] [-- command…]`: ECS ExecuteCommand into a running task of the service (an interactive
 * shell by default), its session handed to the Session Manager plugin as the AWS CLI does (`aws ecs execute-command`).
 * Exits with the plugin's exit code. Nothing is locked or written: it only reads and opens a session.
 */
export async function runExec(opts: ExecOptions, io: Io, reporter: Reporter): Promise<number> {
  const started = Date.now();
  const run = await openDay2(opts, io, reporter, { check: (local) => void pickServices(local, opts.service, 'exec', true) });
  try {
    const [name] = pickServices(run, opts.service, 'exec', true) as [string];
    const configured = run.config.services[name]?.exec === true;
    const plugin = findOnPath(SESSION_MANAGER_PLUGIN, io.env);
    if (!plugin) {
      throw new EcsKitError(
        'exec.no-plugin',
        `ecs-kit exec needs the Session Manager plugin (${SESSION_MANAGER_PLUGIN}), and it is not on PATH.`,
        {
          why: 'ECS Exec sessions are carried by the AWS Session Manager plugin, the same one `aws ecs execute-command` uses.',
          fix: `Install it (${PLUGIN_DOCS}), make sure \`${SESSION_MANAGER_PLUGIN}\` is on PATH, and run the command again.`,
        },
      );
    }
    reporter.emit({ type: 'run.start', command: 'exec', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const service = await deployedService(run, name, 'exec');
    if (!service.enableExecuteCommand) throw notEnabled(name, configured);
    const { cluster } = serviceLocation(run, name);
    const task = await pickTask(run, cluster, service.serviceName ?? name, opts.task);
    if (!task.enableExecuteCommand) throw notEnabled(name, configured, taskId(task.taskArn));
    const container = task.containers?.find((c) => (opts.container ? c.name === opts.container : true));
    if (!container?.name || !container.runtimeId) {
      throw new EcsKitError(
        'exec.no-task',
        `Task ${taskId(task.taskArn)} has no running container${opts.container ? ` named ${opts.container}` : ''}.`,
        {
          fix: `Leave out --container, or name one of: ${(task.containers ?? []).map((c) => c.name).join(', ') || 'none'}.`,
        },
      );
    }
    const command = opts.command.length ? opts.command.join(' ') : '/bin/sh';
    const out = await run.aws
      .ecs()
      .send(new ExecuteCommandCommand({ cluster, task: task.taskArn, container: container.name, interactive: true, command }))
      .catch((err) => {
        throw explainAwsError(err, `starting an ECS Exec session in task ${taskId(task.taskArn)}`);
      });
    reporter.emit({
      type: 'info',
      code: 'exec.session',
      message: `Session in task ${taskId(task.taskArn)}, container ${container.name}: ${command}`,
    });
    const target = `ecs:${cluster}_${taskId(task.taskArn)}_${container.runtimeId}`;
    const code = await handToPlugin(plugin, io, [
      JSON.stringify(out.session ?? {}),
      run.region,
      'StartSession',
      opts.profile ?? '',
      JSON.stringify({ Target: target }),
      `https://ssm.${run.region}.amazonaws.com`,
    ]);
    emitRunDone(reporter, 'exec', code === 0 ? 'applied' : 'failed', started, run.counter);
    return code;
  } finally {
    await run.close();
  }
}

function notEnabled(name: string, configured: boolean, task?: string): EcsKitError {
  if (configured && task) {
    return new EcsKitError('exec.not-enabled', `Task ${task} of service ${name} was started before ECS Exec was turned on.`, {
      why: 'ECS Exec applies to tasks started after the service got enableExecuteCommand.',
      fix: 'Run `ecs-kit deploy` (it starts new tasks when exec is turned on), or pass --task with a newer task.',
    });
  }
  return new EcsKitError('exec.not-enabled', `ECS Exec is not enabled for service ${name}.`, {
    why: configured ? 'The config has exec: true, but the deployed service does not have it yet.' : 'The service has no exec: true.',
    fix: configured ? 'Run `ecs-kit deploy` to apply it.' : `Set services.${name}.exec: true in the config and run \`ecs-kit deploy\`.`,
  });
}

async function pickTask(run: Day2Run, cluster: string, serviceName: string, wanted: string | undefined): Promise<Task> {
  const ecs = run.aws.ecs();
  const arns = wanted
    ? [wanted]
    : ((await ecs.send(new ListTasksCommand({ cluster, serviceName, desiredStatus: 'RUNNING' }))).taskArns ?? []);
  const tasks = arns.length ? ((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? []) : [];
  const running = tasks
    .filter((t) => t.lastStatus === 'RUNNING')
    .sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0))[0];
  if (!running) {
    throw new EcsKitError(
      'exec.no-task',
      wanted ? `Task ${wanted} is not running in cluster ${cluster}.` : `Service ${serviceName} has no running task.`,
      { fix: '`ecs-kit status` shows the tasks; pass --task with a running one, or wait until the service runs one.' },
    );
  }
  return running;
}

/** The plugin owns the terminal for the session; its exit code is ours. */
function handToPlugin(plugin: string, io: Io, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(plugin, args, { stdio: 'inherit', env: io.env, cwd: io.cwd });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 130 : 1)));
  });
}
