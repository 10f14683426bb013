import path from 'node:path';
import { partitionOf } from '../../../aws/partition.js';
import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import { namesFor } from '../../../config/names.js';
import type { Reporter } from '../../../engine/events.js';
import type { DoctorContext } from '../../../doctor/types.js';
import { ExitCode } from '../../../errors.js';
import { checkAwsSettings, checkResolvedRegion } from '../../aws-target.js';
import { ReadOnlyManifestStore, openStore, resolveStateLocation } from '../../state-store.js';
import type { GlobalOptions, Io } from '../../options.js';
import { checkEnvName, readManifest, resolveRegion, tracedClients } from '../../run-context.js';

/**
 * `ecs-kit doctor`: load the config like deploy does (a bad config exits 2 before any AWS call),
 * then run the read-only checks in src/doctor in a fixed order. Exit 1 when any check fails.
 * No lock, no manifest write, no mutating call: a doctor can run next to a deploy.
 */
export async function runDoctor(opts: GlobalOptions, io: Io, reporter: Reporter): Promise<number> {
  const started = Date.now();
  checkEnvName(opts.env);
  const configFile = resolveConfigPath(io.cwd, opts.config);
  const { config } = await loadConfig(configFile, { env: opts.env, vars: io.env });
  const location = resolveStateLocation(opts, config);

  // Not run-context's connect(): that stops at the first credentials error, which is a check result here.
  checkAwsSettings(opts);
  const { aws, counter } = await tracedClients(opts, config, reporter);
  try {
    const region = await resolveRegion(aws);
    checkResolvedRegion(region, opts, config);
    const { runChecks } = await import('../../../doctor/index.js');
    const ctx: DoctorContext = {
      aws,
      config,
      env: opts.env,
      region,
      partition: partitionOf(region),
      names: namesFor(config.app, opts.env),
    };
    reporter.emit({
      type: 'info',
      code: 'doctor.start',
      message: `Checking ${config.app} (env ${opts.env}) in ${region}; read-only, nothing is changed.`,
    });
    const baseDir = path.dirname(configFile);
    const store = new ReadOnlyManifestStore(await openStore({ location, baseDir, app: config.app, env: opts.env, aws }));
    const summary = await runChecks(ctx, (result) => reporter.emit({ type: 'check', ...result }), {
      // What ecs-kit already owns does not count as new (quotas); same account/region check as deploy.
      onIdentity: async (account) => {
        ctx.manifest = await readManifest(store, config, account, region, io);
      },
    });
    reporter.emit({
      type: 'check.summary',
      ...summary,
      durationMs: Date.now() - started,
      calls: counter.calls,
      mutatingCalls: counter.mutating,
    });
    return summary.fail > 0 ? ExitCode.Failure : ExitCode.Ok;
  } finally {
    aws.destroy();
  }
}
