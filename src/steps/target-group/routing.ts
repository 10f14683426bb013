import { createHash } from 'node:crypto';
import type { Action, Rule, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';

/**
 * Routing on the shared listener (pure). Rules are evaluated lowest priority first, so deeper
 * paths get lower numbers than shallower ones and "/" (the catch-all) comes last.
 */

export const ROOT_PRIORITY = 50_000;
const BAND = 400;
const MAX_DEPTH = 99;

/** "/api/" → "/api"; "" → "/". */
export function normalizePath(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

export function pathPatterns(path: string): string[] {
  const p = normalizePath(path);
  return p === '/' ? ['/*'] : [p, `${p}/*`];
}

function pathDepth(p: string): number {
  return Math.min(p.split('/').filter(Boolean).length, MAX_DEPTH);
}

function pathHash(p: string): number {
  return createHash('sha256').update(p).digest().readUInt32BE(0) % BAND;
}

/** (100 − depth) × 400 + hash(path) mod 400: stable across runs and machines. */
export function rulePriority(path: string): number {
  const p = normalizePath(path);
  if (p === '/') return ROOT_PRIORITY;
  return (100 - pathDepth(p)) * BAND + pathHash(p);
}

/** Any priority in the path's band keeps the depth ordering; used when two paths' hashes collide. */
export function inBand(path: string, priority: number): boolean {
  const p = normalizePath(path);
  if (p === '/') return priority === ROOT_PRIORITY;
  const start = (100 - pathDepth(p)) * BAND;
  return priority >= start && priority < start + BAND;
}

/** The formula's priority, or the next free one in the same band if another rule holds it. */
export function choosePriority(path: string, rules: readonly Rule[], ownRuleArn?: string): number {
  const wanted = rulePriority(path);
  if (wanted === ROOT_PRIORITY) return wanted;
  const taken = new Set(rules.filter((r) => r.RuleArn !== ownRuleArn && !r.IsDefault).map((r) => Number(r.Priority)));
  const start = wanted - (wanted % BAND);
  for (let k = 0; k < BAND; k++) {
    const candidate = start + (((wanted % BAND) + k) % BAND);
    if (!taken.has(candidate)) return candidate;
  }
  return wanted;
}

export function conditions(path: string): RuleCondition[] {
  return [{ Field: 'path-pattern', PathPatternConfig: { Values: pathPatterns(path) } }];
}

export function forward(targetGroupArn: string): Action[] {
  return [{ Type: 'forward', TargetGroupArn: targetGroupArn }];
}

/** Path patterns of a rule, or undefined if it has any other kind of condition. */
export function rulePaths(rule: Rule): string[] | undefined {
  const conds = rule.Conditions ?? [];
  if (conds.length !== 1 || conds[0]!.Field !== 'path-pattern') return undefined;
  return [...(conds[0]!.PathPatternConfig?.Values ?? conds[0]!.Values ?? [])].sort();
}

export function forwardsTo(rule: Rule, targetGroupArn: string): boolean {
  const actions = rule.Actions ?? [];
  if (actions.length !== 1 || actions[0]!.Type !== 'forward') return false;
  const a = actions[0]!;
  const groups = a.ForwardConfig?.TargetGroups;
  if (groups?.length) return groups.length === 1 && groups[0]!.TargetGroupArn === targetGroupArn;
  return a.TargetGroupArn === targetGroupArn;
}
