// The fast path of `ecs-kit --help` (issue 14): bin/ecs-kit.js loads this small module, not the CLI, for a lone help
// request, and prints the text commander printed for the same command and width at build time (scripts/gen-help.mjs
// writes dist/help/ from src/cli/help-snapshot.ts). Anything it has no text for goes to the CLI, so the output is
// always commander's own. No imports: it must stay a few hundred bytes to parse.

/** One command's help at every width from `min` to `min + byWidth.length - 1` (and wider, when `wide`). */
export interface HelpSnapshot {
  /** Every distinct line of the texts. */
  lines: string[];
  /** Each distinct text: indexes into `lines`, in base 36, joined with ','. */
  texts: string[];
  /** The index into `texts` of the text at width `min + i`. */
  byWidth: number[];
  min: number;
  /** Wider terminals get the widest text (nothing wraps at that width any more). */
  wide: boolean;
}

interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The file (under dist/help/) holding the help of a command path; [] is the top level. */
export function snapshotFile(path: readonly string[]): string {
  return `${['ecs-kit', ...path].join('.')}.json`;
}

/** The text of a snapshot at `width`, or undefined when it has none for that width. */
export function helpText(s: HelpSnapshot, width: number): string | undefined {
  let i = width - s.min;
  if (i < 0 || !Number.isInteger(i)) return undefined;
  if (i >= s.byWidth.length) {
    if (!s.wide) return undefined;
    i = s.byWidth.length - 1;
  }
  const text = s.texts[s.byWidth[i] ?? -1];
  return text === undefined
    ? undefined
    : `${text
        .split(',')
        .map((n) => s.lines[parseInt(n, 36)])
        .join('\n')}\n`;
}

/**
 * Prints the help for `args` (the arguments after `ecs-kit`) when they are a lone help request it has the text for:
 * `<command...> --help|-h` on stdout, or no arguments at all (commander then prints the top-level help on stderr).
 * `read` returns a snapshot file's contents, undefined when there is none. Returns whether it printed.
 */
export function printHelp(args: readonly string[], read: (file: string) => string | undefined, out: Out, err: Out): boolean {
  const last = args.at(-1);
  if (args.length > 0 && last !== '--help' && last !== '-h') return false;
  const path = args.slice(0, -1);
  // Command names only: anything else (an argument, a flag, a path) is the CLI's to parse.
  if (!path.every((a) => /^[a-z][a-z0-9-]*$/.test(a))) return false;
  const json = read(snapshotFile(path));
  if (json === undefined) return false;
  const stream = args.length === 0 ? err : out;
  // The width commander wraps to in src/cli/main.ts: the terminal's columns, else 80.
  const text = helpText(JSON.parse(json) as HelpSnapshot, stream.isTTY && stream.columns ? stream.columns : 80);
  if (text === undefined) return false;
  stream.write(text);
  return true;
}
