import { UsageError } from '../errors.js';

/** Flags every command accepts (README "Global flags"). */
export interface GlobalOptions {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  env: string;
  config?: string;
  yes?: boolean;
  json?: boolean;
  verbose?: boolean;
  maxAttempts?: number;
  /** --state: where the manifest lives (s3://bucket/prefix, or local), instead of the config's state: block. */
  state?: string;
}

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/** Nothing prompts with --yes, without a terminal, or in CI. */
export function isInteractive(opts: Pick<GlobalOptions, 'yes' | 'json'>, io: Io): boolean {
  if (opts.yes || opts.json) return false;
  if (io.env.CI && io.env.CI !== 'false' && io.env.CI !== '0') return false;
  return Boolean(io.stdin.isTTY && io.stderr.isTTY);
}

export function reporterMode(opts: Pick<GlobalOptions, 'json'>, io: Io): 'json' | 'tty' | 'plain' {
  if (opts.json) return 'json';
  const ci = io.env.CI && io.env.CI !== 'false' && io.env.CI !== '0';
  return io.stderr.isTTY && !ci ? 'tty' : 'plain';
}

/** "15m", "90s", "1h", "1h30m" or plain seconds → milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const re = /(\d+)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (const m of t.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched += m[0].length;
  }
  if (matched !== t.length || t.length === 0) {
    throw new UsageError(`${flag}: "${text}" is not a duration.`, `Use a value like 90s, 15m or 1h.`);
  }
  return total;
}

export function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag}: "${text}" is not a positive whole number.`, `Pass a number such as ${flag} 5.`);
  return n;
}
