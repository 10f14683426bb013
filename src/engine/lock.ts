import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { EcsKitError } from '../errors.js';

/** Who holds an environment's lock, where and since when, doing what (written into the lock itself). */
export interface LockInfo {
  /** This run's lock, so it can tell its own lock from one that replaced it. Absent in locks of older versions. */
  id?: string;
  pid: number;
  host: string;
  /** The OS user, or the CI actor. */
  user?: string;
  /** The working directory of the run (a second checkout on one host is another place). */
  cwd?: string;
  startedAt: string;
  command: string;
}

/** The CI system's name for who started the run, else the OS user. */
function whoAmI(): string | undefined {
  const e = process.env;
  const ci = e.GITHUB_ACTOR ?? e.GITLAB_USER_LOGIN ?? e.BUILDKITE_BUILD_CREATOR;
  if (ci) return `${ci} (CI${e.GITHUB_RUN_ID ? ` run ${e.GITHUB_RUN_ID}` : e.CI_JOB_ID ? ` job ${e.CI_JOB_ID}` : ''})`;
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

export function newLockInfo(command: string): LockInfo {
  const user = whoAmI();
  return {
    id: randomUUID(),
    pid: process.pid,
    host: hostname(),
    ...(user ? { user } : {}),
    cwd: process.cwd(),
    startedAt: new Date().toISOString(),
    command,
  };
}

/** "deploy by ana, pid 4242 on build-7 in /src/shop, started 2026-…": what `lock.held` and `state unlock` show. */
export function describeHolder(h: LockInfo): string {
  const who = h.user ? ` by ${h.user}` : '';
  const where = h.cwd ? ` in ${h.cwd}` : '';
  return `${h.command}${who}, pid ${h.pid} on ${h.host}${where}, started ${h.startedAt}`;
}

export function lockHeldError(env: string, holder: LockInfo, orElse: string): EcsKitError {
  return new EcsKitError('lock.held', `Another ecs-kit run holds the lock for environment "${env}": ${describeHolder(holder)}.`, {
    why: 'Two runs at once could create resources twice or lose track of them.',
    fix: `Wait for it to finish. If you are sure it is no longer running, re-run with --force-unlock (or ecs-kit state unlock, or ${orElse}).`,
  });
}

/** True while a process with this pid runs on this host. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
