#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/ by `npm run build` (from a clone, `npm ci` runs it through `prepare`).
// CommonJS (bin/package.json), so `--version` and `--help` start without node's ES module loader: start-up near bare
// node (issue 14; `npm run bench` prints it). The CLI itself is an ES module, loaded with import().
'use strict';
const { existsSync, fstatSync, readFileSync, writeSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);

/** Writes to fd 1 or 2 without making process.stdout (a stream costs start-up); a reader gone (EPIPE) is no error. */
function print(fd, text) {
  try {
    writeSync(fd, text);
  } catch (err) {
    if (err.code !== 'EPIPE') throw err;
  }
}

// `ecs-kit --version` alone is answered here, from the package's own package.json, without loading the CLI.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  print(1, `${JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version}\n`);
  process.exit(0);
}

// A lone help request (`ecs-kit [command...] --help`, or no arguments) prints the text commander rendered for it at
// build time (dist/help/), when there is one for this width: src/cli/fast-help.ts.
if (args.length === 0 || args.at(-1) === '--help' || args.at(-1) === '-h') {
  const fastHelp = path.join(root, 'dist', 'cli', 'fast-help.cjs');
  const read = (file) => {
    try {
      return readFileSync(path.join(root, 'dist', 'help', file), 'utf8');
    } catch {
      return undefined;
    }
  };
  // The width commander wraps to: a terminal's columns, else 80. Only a character device can be a terminal; asking
  // node:tty (which loads node:net) and making the stream cost milliseconds that a pipe or a file need not pay.
  const out = (fd) => {
    const tty = fstatSync(fd).isCharacterDevice() && require('node:tty').isatty(fd);
    return { isTTY: tty, columns: tty ? (fd === 1 ? process.stdout : process.stderr).columns : undefined, write: (s) => print(fd, s) };
  };
  if (existsSync(fastHelp) && require(fastHelp).printHelp(args, read, out(1), out(2))) process.exit(0);
}

// A reader that goes away (`ecs-kit status | head -1`) is no error: no EPIPE stack trace. Output is dropped from then
// on; a command that stops on Ctrl-C (logs --follow, deploy, teardown) is stopped the same way, safely, as other CLIs
// stop on SIGPIPE; anything else (help, a short command) just finishes.
let readerGone = false;
process.stdout.on('error', (err) => {
  if (readerGone) return; // later writes to the closed stream fail too
  if (err.code !== 'EPIPE') throw err;
  readerGone = true;
  if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
});

const entry = path.join(root, 'dist', 'cli', 'main.js');
// Only the bundle itself missing means "not built"; any error of the bundle (a missing chunk included) keeps its stack.
if (!existsSync(entry)) {
  process.stderr.write(`ecs-kit is not built yet: run npm run build (in ${root}), then run this command again.\n`);
  process.exit(1);
}
import(require('node:url').pathToFileURL(entry).href).then(async (cli) => {
  process.exitCode = await cli.main(process.argv);
});
