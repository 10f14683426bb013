import { describe, expect, it } from 'vitest';
import { onInterrupt, SAME_KEYPRESS_MS } from '../../../src/cli/signals.js';
import type { ManifestStore } from '../../../src/engine/manifest.js';
import { RecordingReporter } from '../../helpers/reporter.js';

const store = { releaseLock: () => Promise.resolve() } as unknown as ManifestStore;
/** The exit waits for the lock's release (one S3 request for shared state). */
const released = () => new Promise((resolve) => setImmediate(resolve));

function setup(o: { stopQuietly?: boolean } = {}) {
  let now = 1_000;
  const exits: number[] = [];
  const controller = new AbortController();
  const reporter = new RecordingReporter();
  const stop = onInterrupt(controller, reporter, store, { ...o, now: () => now, exit: (code) => void exits.push(code) });
  return {
    controller,
    reporter,
    exits,
    later: (ms: number) => (now += ms),
    sigint: () => process.emit('SIGINT'),
    stop,
  };
}

describe('Ctrl-C', () => {
  it('the second SIGINT of one keypress (npx forwards the one the terminal sent) does not quit at once', () => {
    const s = setup();
    s.sigint();
    s.later(5);
    s.sigint();
    s.stop();
    expect(s.controller.signal.aborted).toBe(true);
    expect(s.exits).toEqual([]);
    expect(s.reporter.ofType('warn').map((w) => w.code)).toEqual(['run.interrupted']);
  });

  it('a second Ctrl-C later releases the lock, then quits with 130', async () => {
    const s = setup();
    s.sigint();
    s.later(SAME_KEYPRESS_MS + 1);
    s.sigint();
    s.stop();
    await released();
    expect(s.exits).toEqual([130]);
  });

  it('logs --follow stops quietly and exits 0, even on a second Ctrl-C', async () => {
    const s = setup({ stopQuietly: true });
    s.sigint();
    s.later(SAME_KEYPRESS_MS + 1);
    s.sigint();
    s.stop();
    await released();
    expect(s.controller.signal.aborted).toBe(true);
    expect(s.reporter.events).toEqual([]);
    expect(s.exits).toEqual([0]);
  });
});
