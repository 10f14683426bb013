#!/usr/bin/env node
// The build: the CLI as an ESM bundle in dist/ (npm run build; `npm ci` runs it through `prepare`).
//
// dist/cli/main.js is the entry bin/ecs-kit.js loads: commander and the command specs, nothing else. Each command's
// handler (which the spec imports lazily) and everything only it needs lands in its own chunk under dist/chunks/, so
// `ecs-kit --help` never parses the AWS SDK or zod. Dependencies are bundled (the SDK from its ES modules, so unused
// commands are tree-shaken): the published package has no runtime dependencies to resolve.
//
// More build-time generation (e.g. a JSON Schema of the config): add a step to GENERATE below; each runs after the
// bundle, gets { root, dist } and writes its file (into dist/ to ship it: package.json "files" ships dist/).
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { generateHelp } from './gen-help.mjs';
import { generateSchema } from './gen-schema.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** Build-time generation steps, run in order after the bundle: `async ({ root, dist }) => void`. */
const GENERATE = [generateSchema, generateHelp];

// CommonJS packages in the bundle (and createRequire users) need `require`; ESM output has none of its own.
const banner = "import { createRequire as __ecsKitRequire } from 'node:module'; const require = __ecsKitRequire(import.meta.url);";

rmSync(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { 'cli/main': 'src/cli/main.ts' },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The SDK and smithy ship ES modules beside CommonJS: those tree-shake.
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: banner },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  sourcemap: false,
  metafile: true,
  logLevel: 'warning',
});
// What bin/ecs-kit.js (CommonJS) requires instead of the CLI for a lone `--help` (scripts/gen-help.mjs): one file.
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/fast-help.ts'],
  outfile: path.join(dist, 'cli', 'fast-help.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
if (process.env.ECS_KIT_BUILD_META) writeFileSync(process.env.ECS_KIT_BUILD_META, JSON.stringify(result.metafile));
for (const step of GENERATE) await step({ root, dist });
