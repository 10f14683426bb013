#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ by `npm run build` (from a clone, `npm ci` runs it through `prepare`).
import { existsSync, readFileSync } from 'node:fs';

// `ecs-kit --version` alone is answered here, from the package's own package.json, without loading the CLI.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

const entry = new URL('../dist/cli/main.js', import.meta.url);
// Only the bundle itself missing means "not built"; any error of the bundle (a missing chunk included) keeps its stack.
if (!existsSync(entry)) {
  const root = new URL('..', import.meta.url).pathname;
  process.stderr.write(`ecs-kit is not built yet: run npm run build (in ${root}), then run this command again.\n`);
  process.exit(1);
}
const cli = await import(entry.href);
process.exitCode = await cli.main(process.argv);
