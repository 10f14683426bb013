#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ by `npm run build` (from a clone, `npm ci` runs it through `prepare`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
// Only the bundle itself missing means "not built"; any error of the bundle (a missing chunk included) keeps its stack.
if (!existsSync(entry)) {
  const root = new URL('..', import.meta.url).pathname;
  process.stderr.write(`ecs-kit is not built yet: run npm run build (in ${root}), then run this command again.\n`);
  process.exit(1);
}
const cli = await import(entry.href);
process.exitCode = await cli.main(process.argv);
