import type { HistoryEntry, Manifest } from './manifest.js';

/** Enough to roll back several times; old entries only grow the manifest. */
export const HISTORY_PER_SERVICE = 10;

export function historyOf(manifest: Manifest, service: string): HistoryEntry[] {
  return (manifest.history ?? []).filter((h) => h.service === service);
}

/**
 * Record what each service runs after a successful deploy. An entry is added only when the
 * revision differs from the service's last entry, so a no-op deploy leaves the history alone.
 * Returns true when anything was added (the caller then writes the manifest).
 */
export function recordDeployed(manifest: Manifest, deployed: Record<string, string>, at = new Date()): boolean {
  let changed = false;
  for (const [service, taskDefinitionArn] of Object.entries(deployed)) {
    if (!taskDefinitionArn) continue;
    const last = historyOf(manifest, service).at(-1);
    if (last?.taskDefinitionArn === taskDefinitionArn) continue;
    manifest.history = [...(manifest.history ?? []), { at: at.toISOString(), service, taskDefinitionArn }];
    changed = true;
  }
  if (changed) manifest.history = trim(manifest.history ?? []);
  return changed;
}

function trim(history: HistoryEntry[]): HistoryEntry[] {
  const counts = new Map<string, number>();
  const keep: HistoryEntry[] = [];
  // Walk newest-first so each service keeps its newest entries.
  for (const h of [...history].reverse()) {
    const n = counts.get(h.service) ?? 0;
    if (n >= HISTORY_PER_SERVICE) continue;
    counts.set(h.service, n + 1);
    keep.push(h);
  }
  return keep.reverse();
}

/**
 * The revision to roll back to from `current`: the entry deployed before the newest entry
 * of `current`. Rolling back again from there steps further back, one deploy at a time.
 * When `current` is not in the history (changed outside ecs-kit), the newest other entry.
 */
export function rollbackTarget(manifest: Manifest, service: string, current: string | undefined): HistoryEntry | undefined {
  const entries = historyOf(manifest, service);
  let i = current ? entries.map((h) => h.taskDefinitionArn).lastIndexOf(current) : -1;
  if (i < 0) i = entries.length;
  for (let j = i - 1; j >= 0; j--) {
    if (entries[j]!.taskDefinitionArn !== current) return entries[j];
  }
  return undefined;
}

/** The service state's task definition per service, from the manifest's `service:<name>` steps. */
export function deployedRevisions(manifest: Manifest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of Object.values(manifest.steps)) {
    if (entry.kind !== 'service' || !entry.scope) continue;
    const arn = entry.state.taskDefinitionArn;
    if (typeof arn === 'string' && arn) out[entry.scope] = arn;
  }
  return out;
}
