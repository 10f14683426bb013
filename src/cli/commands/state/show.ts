import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Reporter } from '../../../engine/events.js';
import { describeHolder, serializeManifest, type LockInfo, type Manifest } from '../../../engine/manifest.js';
import { EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import type { GlobalOptions, Io } from '../../options.js';
import { openState } from './open.js';

/** One line per recorded step: its id and the ids/ARNs/names it owns (a manifest holds no secret values). */
function stepLines(m: Manifest): string[] {
  return Object.entries(m.steps).map(([id, e]) => {
    const owned = Object.entries(e.state)
      .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
    return `  ${id}: ${owned.join(' ') || '(nothing recorded)'}`;
  });
}

export function describeState(location: string, m: Manifest | undefined, holder: LockInfo | undefined): string {
  const lock = holder ? `locked by ${describeHolder(holder)}` : 'not locked';
  if (!m) return `${location}: no state recorded (${lock}).\n`;
  const history = (m.history ?? []).map(
    (h) => `  ${h.at} ${h.service} ${h.taskDefinitionArn.slice(h.taskDefinitionArn.lastIndexOf('/') + 1)}`,
  );
  return [
    `${location}`,
    `  app ${m.app}, env ${m.env}, account ${m.account}, region ${m.region}`,
    `  created ${m.createdAt}, updated ${m.updatedAt}, schema ${m.schemaVersion}; ${lock}`,
    `steps (${Object.keys(m.steps).length}):`,
    ...stepLines(m),
    `deploy history (${history.length}):`,
    ...history,
    '',
  ].join('\n');
}

/** `state show`: what is recorded for this environment, and who holds its lock. Read-only, no lock. */
export async function runStateShow(opts: GlobalOptions, io: Io, reporter: Reporter): Promise<number> {
  const run = await openState(opts, io, reporter);
  try {
    const manifest = await run.store.read();
    const holder = await run.store.lockHolder();
    if (opts.json) {
      reporter.emit({
        type: 'output',
        name: 'state',
        value: JSON.stringify({ location: run.store.location, lock: holder ?? null, manifest: manifest ?? null }),
      });
    } else {
      io.stdout.write(describeState(run.store.location, manifest, holder));
    }
    return ExitCode.Ok;
  } finally {
    await run.close();
  }
}

/** `state pull [file]`: the manifest as JSON on stdout, or into a file (0600). Read-only, no lock. */
export async function runStatePull(opts: GlobalOptions & { file?: string }, io: Io, reporter: Reporter): Promise<number> {
  const run = await openState(opts, io, reporter);
  try {
    const manifest = await run.store.read();
    if (!manifest) {
      throw new EcsKitError('usage', `There is no state for ${run.config.app}/${opts.env} at ${run.store.location}.`, {
        fix: 'Check --env and the state: block (or --state); deploy creates the state.',
        exitCode: ExitCode.Usage,
      });
    }
    if (opts.file) await writeFile(path.resolve(io.cwd, opts.file), serializeManifest(manifest), { mode: 0o600 });
    else io.stdout.write(serializeManifest(manifest));
    return ExitCode.Ok;
  } finally {
    await run.close();
  }
}

export function requireFile(file: string | undefined, command: string): string {
  if (!file) throw new UsageError(`${command} needs a file.`, `Run: ecs-kit ${command} <file>.`);
  return file;
}
