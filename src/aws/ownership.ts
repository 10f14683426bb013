import { EcsKitError } from '../errors.js';
import type { ErrorCode } from '../engine/messages.js';
import type { StepContext } from '../engine/types.js';
import type { Owner } from './tags.js';

/** Ownership beyond a resource's own tags: a name that something ecs-kit did not create already holds, and what teardown leaves. */

export function notOwnedError(code: ErrorCode, what: string, owner: Owner): EcsKitError {
  return new EcsKitError(code, `${what} already exists and was not created by ecs-kit for ${owner.app}/${owner.env}.`, {
    why: 'ecs-kit only manages resources it created, so it will not adopt or change it.',
    fix: 'Choose another app name or --env, or delete that resource yourself.',
  });
}

/**
 * Teardown found `what` but its tags do not say ecs-kit created it for this app/env: it stays, and the user is told.
 * `whoseTags` names where the ownership was read when that is not the resource itself ("the load balancer's").
 */
export function warnLeftInPlace(ctx: Pick<StepContext, 'warn'>, what: string, whoseTags = 'its'): void {
  ctx.warn('teardown.not-owned', `Left ${what} in place: ${whoseTags} tags do not say ecs-kit created it for this app/env.`);
}
