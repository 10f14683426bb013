#!/usr/bin/env node
// `npm run try`: ecs-kit from end to end without an AWS account. Starts a private moto_server (the AWS emulator) on
// a free loopback port, runs the real CLI (bin/ecs-kit.js) in a temp folder — init → deploy → status → plan →
// teardown — printing each command, its output and its time, then stops moto and removes the folder. Ctrl-C stops
// moto too. moto emulates the control plane only: no container runs, so the URL deploy prints serves nothing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'ecs-kit.js');
const HOST = '127.0.0.1';

const say = (line) => process.stdout.write(`${line}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a command with inherited output; resolves to its exit code. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', ...opts });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function startMoto(port) {
  const moto = spawn('moto_server', ['-H', HOST, '-p', String(port)], {
    // Managed policies for AttachRolePolicy; one "running" task per service so desiredCount 1 looks stable.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ECS_SERVICE_RUNNING: '1' },
    stdio: 'ignore',
    detached: true, // its own group: moto_server is often a shim around python, stopped together
  });
  const failed = new Promise((resolve) => moto.once('error', resolve));
  // Stopped with this script however it ends (the same watchdog the e2e tests use).
  spawn(process.execPath, [path.join(root, 'test/e2e/harness/moto-watchdog.mjs'), String(process.pid), String(moto.pid)], {
    detached: true,
    stdio: 'ignore',
  })
    .on('error', () => {})
    .unref();
  const endpoint = `http://${HOST}:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const err = await Promise.race([failed, new Promise((r) => setTimeout(() => r(undefined), 200))]);
    if (err) return { error: err };
    if (moto.exitCode !== null) return { error: new Error(`moto_server exited with code ${moto.exitCode}`) };
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      return { moto, endpoint };
    } catch {
      if (Date.now() > deadline) return { error: new Error('moto_server did not answer within 30 s') };
    }
  }
}

function stopMoto(moto) {
  try {
    process.kill(-moto.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

const steps = [
  ['init', '--yes', '--name', 'try-app', '--image', 'nginx:1.27', '--port', '80', '--region', 'us-east-1'],
  ['deploy', '--yes'],
  ['status'],
  ['plan'],
  ['teardown', '--yes'],
];

async function main() {
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
    say('==> npm run build   (dist/ is missing)');
    if ((await run('npm', ['run', 'build'], { cwd: root })) !== 0) return 1;
  }
  const started = await startMoto(await freePort());
  if (started.error) {
    const missing = started.error.code === 'ENOENT';
    say(
      missing
        ? "moto_server is not installed. Install the AWS emulator with:\n  pip install 'moto[server]'\nthen run npm run try again."
        : `Could not start moto_server: ${started.error.message}`,
    );
    return 1;
  }
  const { moto, endpoint } = started;
  const dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-try-'));
  const stop = () => {
    stopMoto(moto);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    stop();
    process.exit(130);
  });
  say(`moto_server (AWS emulator) on ${endpoint}; working folder ${dir}\n`);
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: endpoint,
    AWS_PROFILE: '',
    CI: 'true', // plain lines, no prompts
  };
  delete env.AWS_PROFILE;
  const times = [];
  try {
    for (const args of steps) {
      say(`==> ecs-kit ${args.join(' ')}`);
      const t0 = Date.now();
      const code = await run(process.execPath, [bin, ...args], { cwd: dir, env });
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      times.push([args[0], s, code]);
      say(`    (exit ${code}, ${s} s)\n`);
      if (code !== 0) {
        say(`ecs-kit ${args[0]} failed (exit ${code}); stopping.`);
        return 1;
      }
    }
  } finally {
    stop();
  }
  say(`Done: ${times.map(([c, s]) => `${c} ${s} s`).join(', ')}. moto_server stopped and ${dir} removed.`);
  say('Next, with an AWS account: ecs-kit init in your app folder, then ecs-kit deploy.');
  return 0;
}

process.exitCode = await main();
