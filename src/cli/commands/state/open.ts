import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AwsClients } from '../../../aws/clients.js';
import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import type { Config } from '../../../config/schema.js';
import type { StateLocation } from '../../../config/state.js';
import type { Reporter } from '../../../engine/events.js';
import type { ManifestStore } from '../../../engine/manifest.js';
import type { GlobalOptions, Io } from '../../options.js';
import { checkEnvName, connect, type CallCounter } from '../../run-context.js';
import { openStore, resolveStateLocation } from '../../state-store.js';

export interface StateRun {
  config: Config;
  configFile: string;
  baseDir: string;
  location: StateLocation;
  aws: AwsClients;
  counter: CallCounter;
  account: string;
  region: string;
  store: ManifestStore;
  close(): Promise<void>;
}

/** The config, where its state lives (exit 2 for a bad --state before any AWS call), the identity, and the store. */
export async function openState(opts: GlobalOptions, io: Io, reporter: Reporter): Promise<StateRun> {
  checkEnvName(opts.env);
  const configFile = resolveConfigPath(io.cwd, opts.config);
  const { config } = await loadConfig(configFile);
  const baseDir = path.dirname(configFile);
  const location = resolveStateLocation(opts, config);
  const { aws, counter, account, region } = await connect(opts, config, reporter);
  let store: ManifestStore | undefined;
  const close = async () => {
    await store?.releaseLock();
    aws.destroy();
  };
  try {
    store = await openStore({ location, baseDir, app: config.app, env: opts.env, aws });
  } catch (err) {
    await close();
    throw err;
  }
  return { config, configFile, baseDir, location, aws, counter, account, region, store, close };
}

/** The config when there is one (state init may run before ecs-kit init), else undefined. */
export async function configIfAny(opts: GlobalOptions, io: Io): Promise<Config | undefined> {
  const file = resolveConfigPath(io.cwd, opts.config);
  if (!existsSync(file)) return undefined;
  return (await loadConfig(file)).config;
}
