#!/usr/bin/env node
// Benchmark (not a test): start-up time, and AWS calls + wall time of a full deploy, a
// no-op deploy and a teardown against a private moto_server on loopback.
// Usage: npm run bench   (builds first). Prints figures; asserts nothing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'ecs-kit.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeCommand(args) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(samples);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startMoto() {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ECS_SERVICE_RUNNING: '1' },
    stdio: 'ignore',
  });
  child.on('error', (err) => {
    console.error(err.code === 'ENOENT' ? "moto_server not found. Install it with: pip install 'moto[server]'" : err);
    process.exit(1);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) return { endpoint, stop: () => child.kill('SIGTERM') };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('moto_server did not start within 30 s');
}

function runCli(args, cwd, endpoint) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    CI: 'true',
  };
  const fullArgs = [cli, ...args, '--endpoint-url', endpoint];
  const command = timeBin ? timeBin : process.execPath;
  const commandArgs = timeBin ? ['-f', 'ECSKIT_MAXRSS_KB=%M', process.execPath, ...fullArgs] : fullArgs;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, commandArgs, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ecs-kit ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const events = args.includes('--json')
    ? r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const calls = events.filter((e) => e.type === 'aws.call');
  const rss = /ECSKIT_MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1];
  return { ms, calls: calls.length, mutating: calls.filter((c) => c.mutating).length, rssMb: rss ? Number(rss) / 1024 : undefined };
}

const nodeMs = timeCommand(['-e', '0']);
const helpMs = timeCommand([cli, '--help']);
console.log(`\nStart-up (median of ${RUNS})`);
console.log(`  node -e 0            ${nodeMs.toFixed(1)} ms`);
console.log(`  ecs-kit --help       ${helpMs.toFixed(1)} ms   (+${(helpMs - nodeMs).toFixed(1)} ms over bare node)`);

const moto = await startMoto();
const dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-bench-'));
try {
  runCli(['init', '--yes', '--name', 'bench', '--image', 'nginx:1.27', '--port', '80'], dir, moto.endpoint);
  const rows = [
    ['full deploy', runCli(['deploy', '--yes', '--json', '--verbose'], dir, moto.endpoint)],
    ['no-op deploy', runCli(['deploy', '--yes', '--json', '--verbose'], dir, moto.endpoint)],
    ['teardown', runCli(['teardown', '--yes', '--json', '--verbose'], dir, moto.endpoint)],
  ];
  console.log('\nAgainst moto_server on loopback (one public Fargate web service)');
  console.log('  run            AWS calls  mutating  wall time   peak RSS');
  for (const [name, r] of rows) {
    console.log(
      `  ${name.padEnd(14)} ${String(r.calls).padStart(9)} ${String(r.mutating).padStart(9)} ${`${(r.ms / 1000).toFixed(2)} s`.padStart(10)} ${r.rssMb ? `${r.rssMb.toFixed(0)} MB`.padStart(9) : '        ?'}`,
    );
  }
} finally {
  moto.stop();
  rmSync(dir, { recursive: true, force: true });
}
