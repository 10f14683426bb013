import { appendFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RULES } from './registry.js';

/** Set by the e2e globalSetup: each strict proxy appends its hit counts there when it stops. */
export const HITS_DIR_ENV = 'ECS_KIT_STRICT_HITS_DIR';

export interface HitRecord {
  /** Who ran the proxy (usually the test file's fixture name). */
  label: string;
  hits: Record<string, number>;
}

export function writeHits(record: HitRecord): void {
  const dir = process.env[HITS_DIR_ENV];
  if (!dir || !existsSync(dir)) return;
  appendFileSync(path.join(dir, `hits-${process.pid}.jsonl`), `${JSON.stringify(record)}\n`);
}

export function readHits(dir: string): HitRecord[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as HitRecord);
}

/** One table over every rule (zero hits included): id, total hits across the records, where, description. */
export function hitTable(records: HitRecord[]): string {
  const rows = RULES.map((r) => {
    const where = records.filter((rec) => (rec.hits[r.id] ?? 0) > 0);
    const total = where.reduce((n, rec) => n + rec.hits[r.id]!, 0);
    const labels = [...new Set(where.map((rec) => rec.label))].join(', ');
    return [r.id, String(total), labels || '-', r.description];
  });
  const head = ['rule', 'hits', 'where', 'description'];
  const widths = head.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c)).join('  ');
  const total = rows.reduce((n, row) => n + Number(row[1]), 0);
  return [`Strict AWS layer: rule hits across ${records.length} proxy run(s), ${total} in all`, line(head), ...rows.map(line)].join('\n');
}
