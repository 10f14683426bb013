import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configPathIn } from '../../../config/load.js';
import { EC2_DEFAULTS } from '../../../config/schema.js';
import type { Reporter } from '../../../engine/events.js';
import { EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import { estimateCost } from '../../../pricing/estimate.js';
import { costSummary } from '../../../ui/cost.js';
import { formatError } from '../../../ui/format.js';
import type { Prompter } from '../../prompts.js';
import { SERVICE_NAME, type Answers } from './answers.js';
import { isWorkflowOnly, workflowNext, writeWorkflowForConfig } from './ci.js';
import { configDocument } from './document.js';
import { validateForDeploy, type InitOptions } from './flags.js';
import { gather, sizeLabel, type AskContext } from './questions.js';
import { toObject, toYaml } from './yaml-document.js';

export interface InitIo {
  prompter?: Prompter;
  interactive: boolean;
  cwd: string;
  /** Where answers are read (the terminal); inquirer's default, process.stdin, when absent. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** When given, everything init says goes through it (so --json stays JSON); otherwise plain text. */
  reporter?: Reporter;
}

/** Writes ecs-kit.yml from flags and (when a person is there) answers. Returns the exit code. */
export async function runInit(opts: InitOptions, io: InitIo): Promise<number> {
  try {
    return await init(opts, io);
  } catch (err) {
    if (!(err instanceof EcsKitError)) throw err;
    if (io.reporter) {
      io.reporter.emit({
        type: 'error',
        code: err.code,
        message: err.message,
        ...(err.why ? { why: err.why } : {}),
        ...(err.fix ? { fix: err.fix } : {}),
      });
    } else {
      io.stderr.write(`${formatError(err, { prefix: 'Error: ' }).join('\n')}\n`);
    }
    return err.exitCode;
  }
}

async function init(opts: InitOptions, io: InitIo): Promise<number> {
  const file = configPathIn(io.cwd, opts.config);
  const shown = displayPath(io.cwd, file);
  const workflow = opts.ci === undefined ? undefined : await workflowFile(opts, io.cwd);
  // A project with a config: --ci adds only the pipeline, written from that config.
  if (workflow && (await isWorkflowOnly(opts, file))) {
    const next = await writeWorkflowForConfig(opts, io.cwd, file, workflow);
    if (io.reporter) io.reporter.emit({ type: 'info', code: 'init.next', message: next });
    else io.stdout.write(`${next}\n`);
    return ExitCode.Ok;
  }
  // Checked before any question so nobody answers ten of them for nothing.
  await refuseOverwrite(file, shown, Boolean(opts.force));

  const interactive = io.interactive && !opts.yes;
  const prompter = interactive
    ? (io.prompter ??
      (await (await import('../../prompts.js')).createPrompter({ ...(io.stdin ? { input: io.stdin } : {}), output: io.stderr })))
    : undefined;
  const warnings: AskContext['warnings'] = [];
  // Said at once (not collected like warnings): it explains the question that follows.
  const say: AskContext['say'] = (code, message) =>
    io.reporter ? io.reporter.emit({ type: 'warn', code, message }) : io.stderr.write(`Warning: ${message}\n`);
  const answers = await gather(opts, { p: prompter, cwd: io.cwd, configDir: path.dirname(file), warnings, say });

  const doc = configDocument(answers);
  const text = file.toLowerCase().endsWith('.json') ? `${JSON.stringify(toObject(doc), null, 2)}\n` : toYaml(doc);
  const config = validateForDeploy(text, file);
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await writeFile(file, text, { encoding: 'utf8', flag: opts.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(shown);
    throw err;
  }
  const ci = workflow ? await writeWorkflow(workflow, answers, opts, path.relative(io.cwd, file)) : '';
  report(io, {
    answers,
    cost: costSummary(estimateCost(config, answers.region)),
    warnings,
    shown,
    next: `Next: npx ecs-kit deploy${file === configPathIn(io.cwd) ? '' : ` --config ${shown}`}${ci}`,
  });
  return ExitCode.Ok;
}

/** --ci github: where the workflow goes (refused like the config if it exists, before any question). */
async function workflowFile(opts: InitOptions, cwd: string): Promise<string> {
  if (opts.ci !== 'github')
    throw new UsageError(
      `--ci: "${opts.ci}" is not a CI ecs-kit writes a pipeline for.`,
      'Use --ci github (README "Deploy from CI" shows GitLab).',
    );
  const file = path.join(cwd, '.github', 'workflows', 'deploy.yml');
  await refuseOverwrite(file, displayPath(cwd, file), Boolean(opts.force));
  return file;
}

async function writeWorkflow(file: string, answers: Answers, opts: InitOptions, configPath: string): Promise<string> {
  const { renderGithubWorkflow } = await import('./workflow.js');
  const text = renderGithubWorkflow({
    app: answers.app,
    env: opts.env ?? 'default',
    region: answers.region,
    branch: 'main',
    builds: 'build' in answers.source,
    ...(configPath === 'ecs-kit.yml' ? {} : { configPath }),
  });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text, { encoding: 'utf8', flag: opts.force ? 'w' : 'wx' });
  return `. ${workflowNext(opts.env ?? 'default')}`;
}

/** What was written and what to do next: through the reporter when there is one, else as plain text. */
function report(io: InitIo, r: { answers: Answers; cost: string; warnings: AskContext['warnings']; shown: string; next: string }): void {
  const summary = [
    `Wrote ${r.shown} for ${r.answers.app} in ${r.answers.region}:`,
    `  service ${SERVICE_NAME}: ${describe(r.answers)}`,
    `  ${r.cost}`,
  ];
  if (io.reporter) {
    for (const w of r.warnings) io.reporter.emit({ type: 'warn', code: w.code, message: w.message });
    io.reporter.emit({ type: 'info', code: 'init.written', message: summary.join('\n') });
    io.reporter.emit({ type: 'output', name: 'config', value: r.shown });
    io.reporter.emit({ type: 'info', code: 'init.next', message: r.next });
  } else {
    for (const w of r.warnings) io.stderr.write(`Warning: ${w.message}\n`);
    io.stdout.write(`${[...summary, r.next].join('\n')}\n`);
  }
}

async function refuseOverwrite(file: string, shown: string, force: boolean): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory())
    throw new UsageError(`${shown} is a directory.`, 'Pass --config with a file path such as ecs-kit.yml.', 'init.exists');
  if (!force) throw existsError(shown);
}

function existsError(shown: string): UsageError {
  return new UsageError(
    `${shown} already exists; init did not change it.`,
    'Pass --force to overwrite it, or --config PATH to write a new file elsewhere.',
    'init.exists',
  );
}

/** The service in one line: what runs, its size and count, scaling, variables, capacity, VPC. */
function describe(a: Answers): string {
  const what = 'image' in a.source ? a.source.image : `built from ${a.source.build.dockerfile}`;
  const tasks = `${a.desiredCount} task${a.desiredCount === 1 ? '' : 's'}`;
  const scaling = a.autoscaling ? `, autoscaling ${a.autoscaling.min}–${a.autoscaling.max} tasks at ${a.autoscaling.targetCpu}% CPU` : '';
  const env = Object.keys(a.environment).length;
  const envText = env > 0 ? `, ${env} environment variable${env === 1 ? '' : 's'}` : '';
  const where =
    a.capacity === 'ec2'
      ? `, on EC2 ${a.ec2?.instanceType ?? EC2_DEFAULTS.instanceType} instances`
      : a.capacity === 'fargate-spot'
        ? ', on Fargate Spot'
        : '';
  const vpc = a.network.existing ? `, in ${a.network.existing.vpcId}` : '';
  return `${what} on port ${a.port}, ${sizeLabel(a.cpu, a.memory)}, ${tasks}${scaling}${envText}${where}${vpc}`;
}

function displayPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}
