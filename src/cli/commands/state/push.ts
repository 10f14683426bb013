import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Reporter } from '../../../engine/events.js';
import { LocalManifestStore, checkIdentity, parseManifest, serializeManifest, type Manifest } from '../../../engine/manifest.js';
import { EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import type { GlobalOptions, Io } from '../../options.js';
import { takeLock } from '../../run-context.js';
import { localStateDir } from '../../state-store.js';
import { openState, type StateRun } from './open.js';

/** The file's manifest must be this app's and this environment's, and (unless empty) from these credentials' account and region. */
function checkBelongs(m: Manifest, run: StateRun, env: string, where: string): void {
  if (m.app !== run.config.app || m.env !== env) {
    throw new EcsKitError('state.mismatch', `${where} is the manifest of ${m.app}/${m.env}, not of ${run.config.app}/${env}.`, {
      fix: `Pass --env ${m.env} with a config for app ${m.app}, or push the right file.`,
      exitCode: ExitCode.Usage,
    });
  }
  checkIdentity(m, run.account, run.region, where);
}

/**
 * `state push <file>`: replace the shared state with a file (a repaired pull, a restore). Takes the lock; refuses to
 * overwrite a remote that is newer than the file unless --force; the write itself is conditional on what it read.
 */
export async function runStatePush(opts: GlobalOptions & { file: string; force?: boolean }, io: Io, reporter: Reporter): Promise<number> {
  const file = path.resolve(io.cwd, opts.file);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`state push: cannot read ${opts.file}.`, 'Pass the path of a manifest file (ecs-kit state pull writes one).');
  });
  const manifest = parseManifest(text, opts.file);
  const run = await openState(opts, io, reporter);
  try {
    checkBelongs(manifest, run, opts.env, opts.file);
    await takeLock(run.store, 'state push', false, reporter);
    const remote = await run.store.read();
    if (remote && serializeManifest(remote) === serializeManifest(manifest)) {
      reporter.emit({
        type: 'info',
        code: 'state.pushed',
        message: `${run.store.location} already holds exactly ${opts.file}; nothing to push.`,
      });
      return ExitCode.Ok;
    }
    if (remote && remote.updatedAt > manifest.updatedAt && !opts.force) {
      throw new EcsKitError(
        'state.newer-remote',
        `${run.store.location} was updated at ${remote.updatedAt}, after ${opts.file} (${manifest.updatedAt}); nothing was pushed.`,
        {
          why: 'Pushing an older manifest would forget what was created since, and the next teardown would leave it behind.',
          fix: 'Pull the current state (ecs-kit state pull) and edit that, or pass --force if you are sure the file is right.',
        },
      );
    }
    await run.store.write(manifest);
    reporter.emit({ type: 'info', code: 'state.pushed', message: `Pushed ${opts.file} to ${run.store.location}.` });
    return ExitCode.Ok;
  } finally {
    await run.close();
  }
}

/**
 * `state migrate --to s3`: move the local manifest into the shared state named by the config's state: block (or
 * --state). Both locks are held meanwhile; an existing remote state is never overwritten. The local file is kept as
 * `<env>.json.migrated` (a backup that no command reads), so there is one source of truth.
 */
export async function runStateMigrate(opts: GlobalOptions & { to: string }, io: Io, reporter: Reporter): Promise<number> {
  if (opts.to !== 's3') throw new UsageError(`state migrate: --to ${opts.to} is not supported.`, 'Use --to s3.');
  const run = await openState(opts, io, reporter);
  const local = new LocalManifestStore(localStateDir(run.baseDir), opts.env);
  try {
    if (run.location.backend !== 's3') {
      throw new UsageError(
        'state migrate --to s3: the config keeps its state locally.',
        'Add state: { backend: s3, bucket: <bucket> } to ecs-kit.yml (ecs-kit state init creates the bucket), or pass --state s3://<bucket>/<prefix>.',
      );
    }
    const manifest = await local.read();
    if (!manifest) {
      throw new EcsKitError('state.no-local', `There is no local manifest ${local.file} to migrate.`, {
        fix: 'Run the command where the environment was deployed from, or check --env.',
        exitCode: ExitCode.Usage,
      });
    }
    checkBelongs(manifest, run, opts.env, local.file);
    await takeLock(local, 'state migrate', false, reporter);
    await takeLock(run.store, 'state migrate', false, reporter);
    const remote = await run.store.read();
    if (remote && serializeManifest(remote) !== serializeManifest(manifest)) {
      throw new EcsKitError(
        'state.exists',
        `${run.store.location} already holds state for ${run.config.app}/${opts.env}; nothing was overwritten.`,
        {
          why: 'Another machine migrated or deployed this environment already.',
          fix: 'Compare them (ecs-kit state pull), then use ecs-kit state push if the local one is right.',
        },
      );
    }
    if (!remote) await run.store.write(manifest);
    await rename(local.file, `${local.file}.migrated`);
    reporter.emit({
      type: 'info',
      code: 'state.migrated',
      message: `Moved ${path.relative(io.cwd, local.file) || local.file} to ${run.store.location}; the local copy is kept as ${path.basename(local.file)}.migrated and no longer read.`,
    });
    return ExitCode.Ok;
  } finally {
    await local.releaseLock();
    await run.close();
  }
}
