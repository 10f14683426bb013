import type { Deployment, Service, ServiceEvent } from '@aws-sdk/client-ecs';
import type { RolloutContext } from './watch.js';

/** Task counts of the new revision, as shown while waiting and in the diagnosis. */
export interface Counts {
  desired: number;
  running: number;
  pending: number;
  failed: number;
}

/** Events newest-last (ECS lists them newest-first). */
export function chronological(events: ServiceEvent[]): ServiceEvent[] {
  return [...events].sort((a, b) => (a.createdAt?.getTime() ?? 0) - (b.createdAt?.getTime() ?? 0));
}

function eventKey(e: ServiceEvent): string {
  return e.id ?? `${e.createdAt?.toISOString() ?? ''} ${e.message ?? ''}`;
}

/** Counts of the new revision's deployment when ECS reports them, else of the whole service. */
function countsOf(service: Service, ours: Deployment | undefined, stopped: number): Counts {
  const useDeployment = ours?.runningCount !== undefined && ours.desiredCount !== undefined;
  return {
    desired: (useDeployment ? ours.desiredCount : service.desiredCount) ?? 0,
    running: (useDeployment ? ours.runningCount : service.runningCount) ?? 0,
    pending: (useDeployment ? ours.pendingCount : service.pendingCount) ?? 0,
    failed: Math.max(ours?.failedTasks ?? 0, stopped),
  };
}

/**
 * What the watcher streams as progress: each new service event once (those from before our change
 * are skipped), and the task counts whenever they change.
 */
export class RolloutProgress {
  private readonly seen = new Set<string>();
  /** Messages of the events shown, oldest first: the diagnosis quotes the last few. */
  readonly events: string[] = [];
  private lastCounts = '';

  constructor(
    private readonly ctx: Pick<RolloutContext, 'progress'>,
    /** Events older than this (epoch ms) were there before our change. */
    private readonly since?: number,
  ) {}

  showEvents(service: Service): void {
    for (const e of chronological(service.events ?? [])) {
      const key = eventKey(e);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      if (this.since !== undefined && e.createdAt && e.createdAt.getTime() < this.since) continue;
      if (e.message) {
        this.events.push(e.message);
        this.ctx.progress(e.message);
      }
    }
  }

  showCounts(service: Service, ours: Deployment | undefined, stopped: number): Counts {
    const c = countsOf(service, ours, stopped);
    const text = `${c.running}/${c.desired} running, ${c.pending} pending${c.failed ? `, ${c.failed} failed` : ''}`;
    if (text !== this.lastCounts) {
      this.ctx.progress(text);
      this.lastCounts = text;
    }
    return c;
  }
}
