import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UsageError } from '../errors.js';
import { resolveEnvironment, type EnvironmentOptions } from './environments.js';
import { checkRules, configSchema, type Config, type RuleProblem } from './schema.js';
import { knownKeysAt } from './schema-keys.js';
import { configExtensionProblem } from '../security/input.js';
import { checkPathRules } from '../security/rules.js';

export const DEFAULT_CONFIG_FILE = 'ecs-kit.yml';

export interface LoadedConfig {
  file: string;
  config: Config;
}

/**
 * The config file a command uses: --config as given, else the nearest ecs-kit.yml in the working directory or a
 * parent folder (as git finds its repository), so commands work from any subfolder of the app. When there is none,
 * the path in the working directory (the "no config" error then names it and suggests init).
 */
export function resolveConfigPath(cwd: string, flag?: string): string {
  if (flag !== undefined) return path.resolve(cwd, flag);
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DEFAULT_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.resolve(cwd, DEFAULT_CONFIG_FILE);
  }
}

/** Where init writes: --config as given, else ecs-kit.yml in the working directory (never a parent's). */
export function configPathIn(cwd: string, flag?: string): string {
  return path.resolve(cwd, flag ?? DEFAULT_CONFIG_FILE);
}

/**
 * Read, parse, resolve for one environment (${VAR} interpolation, environments.<env> overrides, --image pins),
 * validate. Every problem names its field path as written; throws ConfigError (exit 2).
 */
export async function loadConfig(file: string, o: EnvironmentOptions = {}): Promise<LoadedConfig> {
  const badExtension = configExtensionProblem(file);
  if (badExtension)
    throw new UsageError(`--config: ${badExtension}.`, 'Pass the path of your ecs-kit.yml (or a .json config).', 'config.extension');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`No config file at ${file}.`, 'Run `ecs-kit init` to create one, or pass --config PATH.', 'config.missing');
    }
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new UsageError(
        `${file} is a directory, not a config file.`,
        'Pass --config with the path of an ecs-kit.yml file.',
        'config.missing',
      );
    }
    throw err;
  }
  const config = parseConfigText(text, file, o);
  return { file, config };
}

export function parseConfigText(text: string, file = DEFAULT_CONFIG_FILE, o: EnvironmentOptions = {}): Config {
  const display = path.basename(file);
  const raw = file.endsWith('.json') ? parseJson(text, display) : parseYaml(text, display);
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) {
    throw new ConfigError(display, ['the file is empty; run `ecs-kit init` to write a starting config']);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(display, ['the top level must be a mapping with app: and services: keys']);
  }
  const early: RuleProblem[] = [];
  const resolved = resolveEnvironment(raw as Record<string, unknown>, o, early);
  if (early.length > 0)
    throw new ConfigError(
      display,
      early.map((p) => `${formatPath(p.path)}: ${p.message}`),
    );
  const parsed = configSchema.safeParse(resolved.raw);
  if (!parsed.success) throw new ConfigError(display, formatIssues(parsed.error.issues, resolved.raw, resolved.source));
  // Every rule problem in one pass (cross-field rules and path rules), once the fields themselves are valid.
  const rules = [...checkRules(parsed.data), ...checkPathRules(parsed.data)];
  if (rules.length > 0)
    throw new ConfigError(
      display,
      rules.map((p) => `${formatPath(resolved.source(p.path))}: ${p.message}`),
    );
  return parsed.data;
}

function parseJson(text: string, display: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(display, [`JSON syntax error: ${(err as Error).message}`]);
  }
}

/** A hint for the YAML slips people make most, by the yaml library's error code. */
const YAML_HINTS: Record<string, string> = {
  BAD_INDENT: 'indent this key exactly like the keys next to it, with spaces',
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs',
  DUPLICATE_KEY: 'a key may appear only once in a mapping; remove or rename one of them',
  MISSING_CHAR: 'a quote or bracket is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'put a space after the colon of each key, and check the indentation of the line above',
  MULTILINE_IMPLICIT_KEY: 'put a space after the colon of each key, and check the indentation of the line above',
};

/**
 * YAML errors are reported one at a time: one slip (a wrong indent) makes the parser report errors on every later
 * line, and those go away with it. The first error comes with its line, and the schema is checked once it parses.
 */
function parseYaml(text: string, display: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (!first) return doc.toJS();
  const at = first.linePos?.[0];
  const what = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const source = at ? text.split(/\r?\n/)[at.line - 1] : undefined;
  const hint = YAML_HINTS[first.code];
  const lines = [
    `YAML syntax error${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${what}${hint ? `; ${hint}` : ''}`,
    ...(source !== undefined ? [`    line ${at!.line}: ${source.includes('\t') ? JSON.stringify(source) : source}`] : []),
    ...(doc.errors.length > 1 ? ['    Fix this one first: the errors the parser reports after it usually follow from it.'] : []),
  ];
  throw new ConfigError(display, [lines.join('\n')]);
}

export function formatPath(p: readonly PropertyKey[]): string {
  if (p.length === 0) return '(top level)';
  return p.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`)).join('');
}

function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const seg of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return cur;
}

function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  source: (path: readonly PropertyKey[]) => PropertyKey[] = (p) => [...p],
): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const suggestion = closest(key, knownKeysAt(configSchema, issue.path));
        out.push(
          `${formatPath(source([...issue.path, key]))}: unknown field${suggestion ? `; did you mean "${suggestion}"?` : `; allowed here: ${knownKeysAt(configSchema, issue.path).join(', ')}`}`,
        );
      }
      continue;
    }
    const where = formatPath(source(issue.path));
    const got = valueAt(raw, issue.path);
    if (issue.code === 'invalid_type' && got === undefined) {
      out.push(`${where}: is required (${issue.expected === 'record' ? 'a mapping' : issue.expected})`);
    } else if (issue.code === 'invalid_type') {
      // A schema's own message carries the fix (e.g. "quote numbers"); zod's default adds nothing.
      const hint = issue.message.startsWith('Invalid input') ? '' : `; ${issue.message}`;
      out.push(
        `${where}: ${JSON.stringify(got)} is a ${Array.isArray(got) ? 'list' : typeof got}; expected ${issue.expected === 'record' ? 'a mapping' : `a ${issue.expected}`}${hint}`,
      );
    } else {
      const shown = got === undefined || typeof got === 'object' ? '' : `${JSON.stringify(got)} `;
      out.push(`${where}: ${shown}${issue.message}`);
    }
  }
  return out;
}

/** Levenshtein-closest candidate within distance 3 — enough for typos like "prot" → "port". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}
