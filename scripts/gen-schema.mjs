// Build step (scripts/build.mjs runs it after the bundle): writes schema/ecs-kit.schema.json, the JSON Schema of
// ecs-kit.yml, from the zod schema. The package ships the file; configs written by `ecs-kit init` point their editor
// at it with a `# yaml-language-server: $schema=…` first line.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** @param {{ root: string, dist: string }} dirs */
export async function generateSchema({ root, dist }) {
  // The bundle has no module of its own for the schema: bundle json-schema.ts once, next to it, and load it.
  const tmp = path.join(dist, '.gen-schema.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: ['src/config/json-schema.ts'],
    outfile: tmp,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  });
  try {
    const { configJsonSchema } = await import(pathToFileURL(tmp).href);
    const out = path.join(root, 'schema', 'ecs-kit.schema.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  } finally {
    rmSync(tmp, { force: true });
  }
}
