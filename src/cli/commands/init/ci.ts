import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../../config/load.js';
import { UsageError } from '../../../errors.js';
import type { InitOptions } from './flags.js';
import { renderGithubWorkflow } from './workflow.js';

/** What to tell the user after the workflow is written. */
export function workflowNext(env: string): string {
  return `Wrote .github/workflows/deploy.yml: CI needs shared state (npx ecs-kit state init --bucket <name>, then state: in ecs-kit.yml) and a role (npx ecs-kit ci-role --github <owner/repo> --env ${env}); set the repository variable AWS_ACCOUNT_ID`;
}

/** True when `init --ci` should only add the workflow: the config is there already and --force was not given. */
export async function isWorkflowOnly(opts: InitOptions, configFile: string): Promise<boolean> {
  if (opts.ci === undefined || opts.force) return false;
  return Boolean((await stat(configFile).catch(() => undefined))?.isFile());
}

/**
 * `init --ci github` in a project that has its config already: the workflow is written from that config (app, region,
 * whether a service builds an image) and the config is left as it is.
 */
export async function writeWorkflowForConfig(opts: InitOptions, cwd: string, configFile: string, workflowFile: string): Promise<string> {
  const { config } = await loadConfig(configFile);
  const region = opts.region ?? config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UsageError('init --ci: no region to put in the workflow.', 'Pass --region, or set region: in the config.', 'aws.region');
  const configPath = path.relative(cwd, configFile);
  const text = renderGithubWorkflow({
    app: config.app,
    env: opts.env ?? 'default',
    region,
    branch: 'main',
    builds: Object.values(config.services).some((s) => s.build !== undefined),
    ...(configPath === 'ecs-kit.yml' ? {} : { configPath }),
  });
  await mkdir(path.dirname(workflowFile), { recursive: true });
  await writeFile(workflowFile, text, { encoding: 'utf8', flag: 'wx' });
  return workflowNext(opts.env ?? 'default');
}
