import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness/cli.js';

/** `npm run try` (scripts/try.mjs): the one-command trial without an AWS account (issue 13, item 1). */

function tryScript(env: Record<string, string | undefined> = process.env): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'try.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

describe('npm run try', () => {
  it('starts moto, runs init → deploy → status → plan → teardown with the built CLI, and stops moto', async () => {
    const r = await tryScript();
    expect(r.code, r.out).toBe(0);
    const commands = [...r.out.matchAll(/^==> ecs-kit (\S+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['init', 'deploy', 'status', 'plan', 'teardown']);
    expect(r.out).toMatch(/URL \(web\): http:\/\/try-app-default-[^\n]*\n[^\n]*Deployed in /);
    expect(r.out).toMatch(/Environment default of try-app is empty/);
    const endpoint = /moto_server \(AWS emulator\) on (http:\/\/127\.0\.0\.1:\d+)/.exec(r.out)?.[1];
    expect(endpoint).toBeDefined();
    expect(r.out).toMatch(/Done: init [\d.]+ s, deploy [\d.]+ s, status [\d.]+ s, plan [\d.]+ s, teardown [\d.]+ s\. moto_server stopped/);
    // moto is gone: nothing answers on its port any more (it may take a moment to exit after SIGTERM).
    let answering = true;
    for (let i = 0; i < 30 && answering; i++) {
      answering = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) }).then(
        () => true,
        () => false,
      );
      if (answering) await new Promise((res) => setTimeout(res, 200));
    }
    expect(answering, 'moto_server still answers after the trial').toBe(false);
  });

  it('without moto_server installed, says how to install it (exit 1)', async () => {
    const r = await tryScript({ ...process.env, PATH: '/nonexistent' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/moto_server is not installed[\s\S]*pip install 'moto\[server\]'/);
  });
});
