import { sleep } from '../../aws/retry.js';
import type { StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';

/**
 * Teardown waits for AWS to finish deleting the capacity provider and the Auto Scaling group (whose instances take
 * minutes to terminate) before deleting what they use. Polls `gone` until it says so, bounded by destroyRetryMs.
 */
export async function waitForDeletion(ctx: StepContext, gone: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + ctx.options.destroyRetryMs;
  let announced = false;
  while (!(await gone())) {
    if (Date.now() >= deadline) {
      throw new EcsKitError('capacity.delete-timeout', `Timed out waiting for ${what}.`, {
        why: 'AWS is still terminating the container instances or releasing the capacity provider.',
        fix: 'Run the teardown again in a few minutes; it resumes where it stopped.',
      });
    }
    if (!announced) ctx.progress(`waiting for ${what}`);
    announced = true;
    await sleep(Math.max(1, Math.min(ctx.options.pollIntervalMs, 10_000)), ctx.signal);
  }
}
