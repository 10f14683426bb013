// Build time (scripts/gen-help.mjs): the help commander prints for every command at every width, in the form the
// fast path (fast-help.ts) reads. Rendered by the real program (main()), so the fast path prints commander's text.
import { Readable, Writable } from 'node:stream';
import type { HelpSnapshot } from './fast-help.js';
import { COMMANDS } from './commands/index.js';
import { main } from './main.js';
import type { Io } from './options.js';

/** Narrower terminals, and those wider than MAX_WIDTH when the text still wraps there, go to the CLI. */
export const MIN_WIDTH = 20;
export const MAX_WIDTH = 300;

class Capture extends Writable {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns: number | undefined,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/**
 * What `ecs-kit <args>` prints (stdout, stderr, exit code) with output to a terminal `width` columns wide, or piped
 * when `width` is undefined.
 */
export async function renderHelp(args: readonly string[], width?: number): Promise<{ stdout: string; stderr: string; code: number }> {
  const stdout = new Capture(width !== undefined, width);
  const stderr = new Capture(width !== undefined, width);
  const io: Io = { stdout, stderr, stdin: Readable.from([]), env: {}, cwd: process.cwd() };
  const code = await main(['node', 'ecs-kit', ...args], io);
  return { stdout: stdout.text, stderr: stderr.text, code };
}

/** Every command path with a help of its own: [] (the top level), each command, each subcommand. */
export function commandPaths(): string[][] {
  const paths: string[][] = [[]];
  for (const spec of COMMANDS) {
    paths.push([spec.name]);
    if ('subcommands' in spec) for (const sub of spec.subcommands) paths.push([spec.name, sub.name]);
  }
  return paths;
}

/** The help of one command path at every width from MIN_WIDTH to MAX_WIDTH, lines and texts shared. */
export async function helpSnapshot(path: readonly string[]): Promise<HelpSnapshot> {
  const lines: string[] = [];
  const lineIndex = new Map<string, number>();
  const texts: string[] = [];
  const textIndex = new Map<string, number>();
  const byWidth: number[] = [];
  const encode = (text: string): number => {
    // Every help text ends with one newline; the fast path puts it back.
    const key = text
      .replace(/\n$/, '')
      .split('\n')
      .map((line) => {
        if (!lineIndex.has(line)) lineIndex.set(line, lines.push(line) - 1);
        return (lineIndex.get(line) ?? 0).toString(36);
      })
      .join(',');
    if (!textIndex.has(key)) textIndex.set(key, texts.push(key) - 1);
    return textIndex.get(key) ?? 0;
  };
  const render = async (width: number) => {
    const r = await renderHelp([...path, '--help'], width);
    if (r.code !== 0 || r.stderr || !r.stdout.endsWith('\n')) throw new Error(`ecs-kit ${path.join(' ')} --help: exit ${r.code}`);
    return r.stdout;
  };
  for (let width = MIN_WIDTH; width <= MAX_WIDTH; width++) byWidth.push(encode(await render(width)));
  const wide = encode(await render(10_000)) === byWidth.at(-1);
  return { lines, texts, byWidth, min: MIN_WIDTH, wide };
}
