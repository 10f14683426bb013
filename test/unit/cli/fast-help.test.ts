import { beforeAll, describe, expect, it } from 'vitest';
import { printHelp, snapshotFile, type HelpSnapshot } from '../../../src/cli/fast-help.js';
import { commandPaths, helpSnapshot, renderHelp } from '../../../src/cli/help-snapshot.js';

// The fast path of `ecs-kit --help` (bin/ecs-kit.js → dist/cli/fast-help.cjs) against commander's own output.
const PATHS = [[], ['deploy'], ['secret', 'set'], ['state']];
const files = new Map<string, string>();
beforeAll(async () => {
  for (const p of PATHS) files.set(snapshotFile(p), JSON.stringify(await helpSnapshot(p)));
}, 120_000);
const read = (file: string) => files.get(file);

function stream(width?: number) {
  let text = '';
  return { isTTY: width !== undefined, columns: width, write: (s: string) => (text += s), text: () => text };
}

/** What the fast path prints for `args` with both streams `width` wide (undefined: piped), or undefined if it declines. */
function fast(args: string[], width?: number) {
  const out = stream(width);
  const err = stream(width);
  return printHelp(args, read, out, err) ? { stdout: out.text(), stderr: err.text() } : undefined;
}

describe('fast help', () => {
  it('has a snapshot for every command and subcommand', () => {
    expect(commandPaths()).toEqual(expect.arrayContaining(PATHS));
    expect(commandPaths().length).toBeGreaterThan(20);
  });

  const WIDTHS = [undefined, 20, 21, 37, 40, 60, 79, 80, 81, 100, 120, 133, 200, 300, 301, 1000];
  it.each(
    PATHS.flatMap((p) => [
      [...p, '--help'],
      [...p, '-h'],
    ]),
  )('prints what commander prints: %j', async (...args) => {
    for (const width of WIDTHS) {
      const want = await renderHelp(args, width);
      expect(want.code).toBe(0);
      expect(fast(args, width), `width ${width}`).toEqual({ stdout: want.stdout, stderr: want.stderr });
    }
  });

  it('wraps to the terminal width, and to 80 columns when piped', async () => {
    const lines = (width?: number) => (fast(['--help'], width)?.stdout ?? '').split('\n');
    expect(Math.max(...lines(60).map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(Math.max(...lines(undefined).map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(Math.max(...lines(200).map((l) => l.length))).toBeGreaterThan(100);
    expect(lines(undefined)).toEqual(lines(80));
  });

  it('no arguments: the top-level help on stderr, as commander prints it', async () => {
    for (const width of [undefined, 50, 80, 160]) {
      const want = await renderHelp([], width);
      expect(want.stderr).toMatch(/^Usage: ecs-kit/);
      expect(fast([], width)).toEqual({ stdout: want.stdout, stderr: want.stderr });
    }
  });

  it.each([
    [['deploy', '--help'], 19],
    [['run-task', 'web', '--help'], undefined],
    [['deploy', '--json', '--help'], undefined],
    [['../../etc', '--help'], undefined],
    [['deploy', '--help', '--json'], undefined],
    [['deploy'], undefined],
    [['--version'], undefined],
  ])('leaves %j (width %s) to the CLI', (args, width) => {
    expect(fast(args, width)).toBeUndefined();
  });

  it('keeps each text small: lines shared between widths', () => {
    const s = JSON.parse(read(snapshotFile([])) ?? '') as HelpSnapshot;
    expect(s.wide).toBe(true);
    expect(s.texts.length).toBeLessThan(s.byWidth.length);
  });
});
