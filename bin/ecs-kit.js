#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ by `npm run build` (from a clone, `npm ci` runs it through `prepare`).
const entry = new URL('../dist/cli/main.js', import.meta.url);
let cli;
try {
  cli = await import(entry.href);
} catch (err) {
  // Only the bundle itself missing means "not built"; anything else is a real error and keeps its stack.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(entry.pathname)) throw err;
  const root = new URL('..', import.meta.url).pathname;
  process.stderr.write(`ecs-kit is not built yet: run npm run build (in ${root}), then run this command again.\n`);
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
