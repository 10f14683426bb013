import { waitFor } from '../../aws/poll.js';
import type { StepContext } from '../../engine/types.js';

/**
 * Teardown waits for AWS to finish deleting the capacity provider and the Auto Scaling group (whose instances take
 * minutes to terminate) before deleting what they use. Looks at `gone` at the pace of every wait (src/aws/poll.ts),
 * bounded by destroyRetryMs.
 */
export async function waitForDeletion(ctx: StepContext, gone: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor({
    what,
    check: async () => ((await gone()) ? true : undefined),
    timeoutMs: ctx.options.destroyRetryMs,
    signal: ctx.signal,
    progress: (m) => ctx.progress(m),
    timeoutCode: 'capacity.delete-timeout',
    why: 'AWS is still terminating the container instances or releasing the capacity provider.',
    fix: 'Run the teardown again in a few minutes; it resumes where it stopped.',
  });
}
