import { PendingDependency } from './types.js';

/**
 * A dependency whose state still has an empty id was planned as "update with a piece
 * missing"; for planning purposes it does not exist yet.
 */
export function requireIds(dependency: string, ...values: (string | undefined)[]): void {
  if (values.some((v) => !v)) throw new PendingDependency(dependency);
}
