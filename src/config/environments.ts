import { UsageError } from '../errors.js';
import type { RuleProblem } from './schema.js';

/*
 * What turns the file as written into the config of one environment, before the schema sees it:
 *   1. ${VAR} and ${VAR:-default} in any string value take the process environment's value ($${ is a literal ${);
 *   2. environments.<env> is deep-merged over the rest for --env <env> (mappings merge, anything else replaces,
 *      null removes); an environment that is never deployed is never looked at;
 *   3. deploy --image <service>=<uri> pins a service's image (and drops its build);
 *   4. a service with autoscaling and no desiredCount starts within its min–max.
 * Problems found later are reported at the path the user wrote: a value the override set is named
 * environments.<env>.<path>.
 */

export interface EnvironmentOptions {
  /** --env; the environments: entry of that name applies. */
  env?: string;
  /** The process environment ${VAR} reads. */
  vars?: Record<string, string | undefined>;
  /** --image pins: service → image URI. */
  images?: Record<string, string>;
}

export interface Resolved {
  raw: Record<string, unknown>;
  /** Where a path was set: names an override's path as environments.<env>.<path>. */
  source(path: readonly PropertyKey[]): PropertyKey[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const VAR = /\$(\$)?\{([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ${VAR} and ${VAR:-default} in every string value (not in keys); problems name the path and the variable. */
export function interpolate(
  value: unknown,
  vars: Record<string, string | undefined>,
  problems: RuleProblem[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (whole, escaped: string | undefined, inner: string) => {
      if (escaped) return whole.slice(1);
      const sep = inner.indexOf(':-');
      const name = sep >= 0 ? inner.slice(0, sep) : inner;
      if (!NAME.test(name)) {
        problems.push({
          path: path as (string | number)[],
          message: `"${whole}" is not a variable reference; write \${NAME} or \${NAME:-default} (or $\${ for a literal \${)`,
        });
        return whole;
      }
      const set = vars[name];
      // As in the shell: :- uses the default when the variable is unset or empty.
      if (set !== undefined && set !== '') return set;
      if (sep >= 0) return inner.slice(sep + 2);
      problems.push({
        path: path as (string | number)[],
        message: `uses \${${name}}, which is not set in the environment; export ${name}=… or write \${${name}:-default}`,
      });
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, vars, problems, [...path, i]));
  if (isObj(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars, problems, [...path, k])]));
  return value;
}

/** base with over merged in: mappings merge key by key, anything else (lists too) replaces, null removes the key. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? deepMerge(out[k], v) : v;
  }
  return out;
}

/** The environments: block's own problems (its shape); an unknown environment name is fine, it applies when used. */
function environmentsOf(raw: Obj, problems: RuleProblem[]): Obj {
  const envs = raw.environments;
  if (envs === undefined || envs === null) return {};
  if (!isObj(envs)) {
    problems.push({
      path: ['environments'],
      message: 'must be a mapping of environment names to overrides, e.g. environments: { prod: { … } }',
    });
    return {};
  }
  for (const [name, over] of Object.entries(envs)) {
    if (!isObj(over))
      problems.push({ path: ['environments', name], message: 'must be a mapping of the fields to change for this environment' });
    else if ('app' in over)
      problems.push({ path: ['environments', name, 'app'], message: 'the app name is the same in every environment; remove it here' });
    else if ('environments' in over)
      problems.push({ path: ['environments', name, 'environments'], message: 'environments do not nest; remove it here' });
  }
  return envs;
}

/** Interpolates, merges the environment's overrides and pins images; returns the raw config and where each path came from. */
export function resolveEnvironment(input: Obj, o: EnvironmentOptions, problems: RuleProblem[]): Resolved {
  const interpolated = interpolate(input, o.vars ?? {}, problems) as Obj;
  const envs = environmentsOf(interpolated, problems);
  const { environments: _all, ...base } = interpolated;
  const over = o.env !== undefined && isObj(envs[o.env]) ? (envs[o.env] as Obj) : undefined;
  const raw = (over ? deepMerge(base, over) : base) as Obj;
  if (o.images) pinImages(raw, o.images);
  defaultDesiredCounts(raw);
  return {
    raw,
    source: (path) => (over && setBy(over, path) ? ['environments', o.env!, ...path] : [...path]),
  };
}

/**
 * A service with autoscaling and no desiredCount starts at 1 task within its min–max (e.g. min 2 → 2), after the
 * environment's overrides, instead of failing the rule that desiredCount lies in min–max for a count nobody wrote.
 */
function defaultDesiredCounts(raw: Obj): void {
  const services = isObj(raw.services) ? raw.services : {};
  for (const svc of Object.values(services)) {
    if (!isObj(svc) || svc.desiredCount !== undefined || !isObj(svc.autoscaling)) continue;
    const { min, max } = svc.autoscaling;
    if (typeof min !== 'number' || typeof max !== 'number' || min > max) continue;
    svc.desiredCount = Math.min(Math.max(1, min), max);
  }
}

/** Whether the override sets the value at path (or replaces a mapping or list above it). */
function setBy(over: Obj, path: readonly PropertyKey[]): boolean {
  let cur: unknown = over;
  for (const seg of path) {
    if (!isObj(cur)) return true;
    if (!(String(seg) in cur)) return false;
    cur = cur[String(seg)];
  }
  return true;
}

/** --image web=<uri>: the service runs that image; a build it had is dropped, so nothing is built. */
function pinImages(raw: Obj, images: Record<string, string>): void {
  const services = isObj(raw.services) ? raw.services : {};
  for (const [name, uri] of Object.entries(images)) {
    const svc = services[name];
    if (!isObj(svc)) {
      const known = Object.keys(services);
      throw new UsageError(
        `--image: there is no service "${name}" in the config${known.length ? ` (services: ${known.join(', ')})` : ''}.`,
        `Pass --image <service>=<image URI> for one of: ${known.join(', ') || '(none)'}.`,
        'usage.service',
      );
    }
    svc.image = uri;
    delete svc.build;
  }
}

/** Parses repeated --image flags (web=<uri>); a malformed one is a usage error naming the flag. */
export function parseImagePins(values: readonly string[]): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    const name = v.slice(0, eq);
    const uri = v.slice(eq + 1);
    if (eq <= 0 || !uri || /\s/.test(uri)) {
      throw new UsageError(
        `--image: "${v}" is not <service>=<image URI>.`,
        'Pass e.g. --image web=123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2.',
      );
    }
    if (name in pins) throw new UsageError(`--image: service "${name}" is pinned twice.`, 'Pass --image once per service.');
    pins[name] = uri;
  }
  return pins;
}
