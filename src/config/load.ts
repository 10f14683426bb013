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

export function resolveConfigPath(cwd: string, flag?: string): string {
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
  const pathProblems = checkPathRules(config);
  if (pathProblems.length > 0)
    throw new ConfigError(
      path.basename(file),
      pathProblems.map((p) => `${formatPath(p.path)}: ${p.message}`),
    );
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
  const rules = checkRules(parsed.data);
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

function parseYaml(text: string, display: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      display,
      doc.errors.map((e) => {
        const line = e.linePos?.[0];
        return `YAML syntax error${line ? ` at line ${line.line}, column ${line.col}` : ''}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return doc.toJS();
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
