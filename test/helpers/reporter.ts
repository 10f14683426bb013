import type { EcsKitEvent, Reporter } from '../../src/engine/events.js';

/** A reporter that keeps events in memory, so tests can check what a command or step said. */
export class RecordingReporter implements Reporter {
  readonly events: EcsKitEvent[] = [];
  emit(event: EcsKitEvent): void {
    this.events.push(event);
  }
  close(): void {}
  ofType<T extends EcsKitEvent['type']>(type: T): Extract<EcsKitEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<EcsKitEvent, { type: T }>[];
  }
}
