import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/schema.js';
import { ShellDocker } from '../docker/cli.js';
import type { Reporter } from '../engine/events.js';
import type { Manifest, ManifestStore } from '../engine/manifest.js';
import { Engine } from '../engine/runner.js';
import type { RunOptions } from '../engine/types.js';
import { STEP_MODULES } from '../steps/index.js';

/** What deploy, plan and teardown have opened (config, identity, manifest) before they run steps. */
export interface OpenedRun {
  config: Config;
  region: string;
  account: string;
  aws: AwsClients;
  store: ManifestStore;
  manifest: Manifest;
  /** Directory of the config file; build contexts in it are relative to this. */
  baseDir: string;
  configFile: string;
}

/** The one place commands build an Engine, so they all run the same steps the same way. */
export function engineFor(
  run: OpenedRun,
  opts: { env: string; verbose?: boolean },
  reporter: Reporter,
  signal: AbortSignal,
  options: RunOptions,
): Engine {
  return new Engine({
    app: run.config.app,
    env: opts.env,
    region: run.region,
    account: run.account,
    config: run.config,
    modules: STEP_MODULES,
    aws: run.aws,
    docker: new ShellDocker(
      undefined,
      opts.verbose ? (line) => reporter.emit({ type: 'info', code: 'docker.output', message: `docker: ${line}` }) : undefined,
    ),
    baseDir: run.baseDir,
    ownFiles: [run.configFile, run.store.dir ?? path.join(run.baseDir, '.ecs-kit')],
    store: run.store,
    manifest: run.manifest,
    reporter,
    options,
    signal,
  });
}
