import { errorName, explainAwsError } from '../aws/errors.js';
import type { CheckResult, CheckSummary } from '../engine/events.js';
import { credentialsCheck, regionCheck, serviceLinkedRolesCheck } from './account.js';
import { certificateCheck } from './certificate.js';
import { fargateZonesCheck } from './fargate-zones.js';
import { imageArchitectureCheck } from './image.js';
import { quotasCheck } from './quotas.js';
import { secretsCheck } from './secrets.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from './types.js';

export type { DoctorContext } from './types.js';

/** Every doctor check, in the order they run and are printed. Read-only: Describe/List/Get calls only. */
export const CHECKS: readonly DoctorCheck[] = [
  credentialsCheck,
  regionCheck,
  serviceLinkedRolesCheck,
  quotasCheck,
  fargateZonesCheck,
  certificateCheck,
  secretsCheck,
  imageArchitectureCheck,
];

/** A check that threw: a missing read permission is a warning (the deploy may not need it), anything else a failure. */
function outcomeOfError(err: unknown, name: string): CheckOutcome {
  const e = explainAwsError(err, `running the ${name} check`);
  if (e.code === 'aws.access-denied') {
    return {
      status: 'warn',
      message: `could not check: ${errorName(err) || 'access denied'}: ${(err as Error).message}`,
      fix: 'Allow this read-only call for your identity to run the check, or ignore it.',
    };
  }
  return { status: 'fail', message: `could not check: ${e.why ?? e.message}`, ...(e.fix ? { fix: e.fix } : {}) };
}

/**
 * Run the checks one after another, in order, reporting each as it ends. `onIdentity` runs once
 * the credentials check has found the account (the command reads the manifest there).
 */
export async function runChecks(
  ctx: DoctorContext,
  report: (result: CheckResult) => void,
  o: { onIdentity?: (account: string) => Promise<void>; checks?: readonly DoctorCheck[] } = {},
): Promise<CheckSummary> {
  const summary: CheckSummary = { ok: 0, warn: 0, fail: 0, skip: 0 };
  let identified = false;
  for (const check of o.checks ?? CHECKS) {
    let outcome: CheckOutcome;
    if (check.needsIdentity && !ctx.identity) {
      outcome = { status: 'skip', message: 'needs working AWS credentials (see credentials)' };
    } else {
      try {
        outcome = await check.run(ctx);
      } catch (err) {
        outcome = outcomeOfError(err, check.name);
      }
    }
    summary[outcome.status]++;
    report({ name: check.name, ...outcome });
    if (ctx.identity && !identified) {
      identified = true;
      await o.onIdentity?.(ctx.identity.account);
    }
  }
  return summary;
}
