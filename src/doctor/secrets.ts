import { EcsKitError } from '../errors.js';
import { parseSecretRef } from '../security/refs.js';
import { resolveSecret } from '../security/secrets.js';
import { combine, type DoctorCheck, type ItemVerdict } from './types.js';

/**
 * 7. Every referenced SSM parameter / Secrets Manager secret exists. The same metadata-only
 * preflight the secrets step runs on deploy (src/security/secrets.ts): values are never read.
 */
export const secretsCheck: DoctorCheck = {
  name: 'secrets',
  needsIdentity: true,
  async run(ctx) {
    const refs = Object.entries(ctx.config.services).flatMap(([service, svc]) =>
      Object.entries(svc.secrets ?? {}).map(([variable, text]) => ({ service, variable, text })),
    );
    if (refs.length === 0) return { status: 'skip', message: 'no secrets referenced' };
    const target = { partition: ctx.partition, region: ctx.region, account: ctx.identity!.account };
    const items: ItemVerdict[] = [];
    for (const { service, variable, text } of refs) {
      const where = `services.${service}.secrets.${variable}`;
      const ref = parseSecretRef(text);
      // The config loader already refused bad references; kept for a config built in code.
      if ('problem' in ref) {
        items.push({ status: 'fail', line: `${where}: ${ref.problem}`, fix: `Fix ${where}.` });
        continue;
      }
      const warnings: string[] = [];
      try {
        await resolveSecret(ctx.aws, target, service, variable, ref, (_code, m) => warnings.push(m));
        const fix = 'Make sure it exists there and that its policy (and KMS key) let this account read it.';
        items.push(warnings.length ? { status: 'warn', line: warnings.join(' '), fix } : { status: 'ok', line: `${where}: exists` });
      } catch (err) {
        if (!(err instanceof EcsKitError && err.code === 'secret.missing')) throw err;
        items.push({ status: 'fail', line: err.message, ...(err.fix ? { fix: err.fix } : {}) });
      }
    }
    const missing = items.filter((i) => i.status === 'fail').length;
    return combine(items, (s) =>
      s === 'fail' ? `${missing} of ${refs.length} referenced secrets missing` : `${refs.length} referenced secret(s) found`,
    );
  },
};
