import path from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/schema.js';
import { ShellDocker } from '../docker/cli.js';
import type { Reporter } from '../engine/events.js';
import type { Manifest, ManifestStore } from '../engine/manifest.js';
import { Engine } from '../engine/runner.js';
import type { RunOptions } from '../engine/types.js';
import { withPlanDelta } from '../pricing/delta.js';
import { estimateCost } from '../pricing/estimate.js';
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

/**
 * The reporter the engine talks to, with the monthly cost added to its plan event: what the config runs costs, and what
 * the plan changes of it (src/pricing). Only the plan event changes; everything else goes through as it is.
 */
export function withCost(reporter: Reporter, config: Config, region: string): Reporter {
  return {
    emit: (event) => {
      if (event.type !== 'plan') return reporter.emit(event);
      const cost = withPlanDelta(estimateCost(config, region), config, event.steps, event.command);
      reporter.emit({ ...event, cost });
    },
    close: () => reporter.close(),
  };
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
    reporter: withCost(reporter, run.config, run.region),
    options,
    signal,
  });
}
