import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Interrupting `npm test` leaves no moto_server behind (issue 13, item 1): moto runs in its own process group, so a
 * terminal's Ctrl-C never reaches it, and a killed test worker runs no afterAll. The watchdog that startMoto() starts
 * stops the group when its owner is gone. Here the "owner" is a child process killed with SIGKILL (nothing of it
 * runs on the way out), and a long sleep in its own group stands in for moto_server.
 */

const WATCHDOG = fileURLToPath(new URL('../../e2e/harness/moto-watchdog.mjs', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('moto watchdog', () => {
  it('stops the moto process group when the process that started it is killed', async () => {
    // The owner starts "moto" detached (as startMoto does) and its watchdog, prints the group id, and waits.
    const owner = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const moto = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
         spawn(process.execPath, [${JSON.stringify(WATCHDOG)}, String(process.pid), String(moto.pid)], { detached: true, stdio: 'ignore' }).unref();
         console.log(moto.pid);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const group = await new Promise<number>((resolve) => owner.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    try {
      expect(group).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
      expect(alive(-group), 'moto stand-in runs while its owner does').toBe(true);
      owner.kill('SIGKILL');
      expect(await until(() => !alive(-group), 5_000), 'moto stand-in still running after its owner died').toBe(true);
    } finally {
      owner.kill('SIGKILL');
      if (alive(-group)) process.kill(-group, 'SIGKILL');
    }
  });

  it('exits on its own once moto is gone (a normal stop), leaving nothing behind', async () => {
    const moto = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const dog = spawn(process.execPath, [WATCHDOG, String(process.pid), String(moto.pid)], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => dog.once('exit', resolve));
    process.kill(-moto.pid!, 'SIGTERM');
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 3_000))])).toBe(0);
  });
});
