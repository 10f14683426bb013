import type { AwsClients } from '../aws/clients.js';
import type { Names } from '../config/names.js';
import type { Config } from '../config/schema.js';
import type { CheckResult, CheckStatus } from '../engine/events.js';
import type { Manifest } from '../engine/manifest.js';

/** What every doctor check may read. Nothing here can change AWS or the manifest. */
export interface DoctorContext {
  aws: AwsClients;
  config: Config;
  env: string;
  region: string;
  partition: string;
  names: Names;
  /** Set once the credentials check has passed; checks that need the account are skipped without it. */
  identity?: { account: string; arn: string };
  /** What ecs-kit already owns for this app/env (read after the credentials check); undefined before the first deploy. */
  manifest?: Manifest;
}

/** A check's verdict; the runner adds the name. */
export type CheckOutcome = Omit<CheckResult, 'name'>;

export interface DoctorCheck {
  name: string;
  /** True when the check cannot run without working credentials (the account id). */
  needsIdentity: boolean;
  run(ctx: DoctorContext): Promise<CheckOutcome>;
}

const RANK: Record<CheckStatus, number> = { skip: 0, ok: 1, warn: 2, fail: 3 };

/** The most serious of several statuses (fail > warn > ok > skip). */
export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'skip');
}

/** One line per item, plus the combined status and the first fix of the most serious items. */
export interface ItemVerdict {
  status: CheckStatus;
  line: string;
  fix?: string;
}

/** Combine per-item verdicts (services, quotas, roles) into one outcome. */
export function combine(items: readonly ItemVerdict[], summary: (status: CheckStatus) => string): CheckOutcome {
  const status = worst(items.map((i) => i.status));
  const fixes = [...new Set(items.filter((i) => i.status === status && i.fix).map((i) => i.fix!))];
  const details = items.map((i) => i.line);
  return { status, message: summary(status), ...(fixes.length ? { fix: fixes.join(' ') } : {}), ...(details.length ? { details } : {}) };
}
