// Build step (scripts/build.mjs runs it after the bundle): writes dist/help/<command path>.json, the help commander
// prints for each command at each terminal width, for the fast path of `ecs-kit --help` (src/cli/fast-help.ts, which
// bin/ecs-kit.js loads instead of the CLI for a lone help request). Rendered by the real program: the fast path
// prints exactly what commander would.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** @param {{ root: string, dist: string }} dirs */
export async function generateHelp({ root, dist }) {
  const tmp = path.join(dist, '.gen-help.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: ['src/cli/help-snapshot.ts'],
    outfile: tmp,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
    logLevel: 'warning',
  });
  try {
    const { commandPaths, helpSnapshot } = await import(pathToFileURL(tmp).href);
    const { snapshotFile } = await import(pathToFileURL(path.join(dist, 'cli', 'fast-help.cjs')).href);
    const out = path.join(dist, 'help');
    mkdirSync(out, { recursive: true });
    for (const p of commandPaths()) writeFileSync(path.join(out, snapshotFile(p)), JSON.stringify(await helpSnapshot(p)));
  } finally {
    rmSync(tmp, { force: true });
  }
}
