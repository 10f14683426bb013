// Small helpers shared by the bench sections: timing, medians, sizes and running the CLI.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cli = path.join(root, 'bin', 'ecs-kit.js');
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
export const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Bytes on disk under a path (file sizes, not blocks), and how many files. */
export function du(p) {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return { bytes: 0, files: 0 };
  if (!st.isDirectory()) return { bytes: st.size, files: 1 };
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    if (e.isSymbolicLink()) continue;
    const sub = du(path.join(p, e.name));
    bytes += sub.bytes;
    files += sub.files;
  }
  return { bytes, files };
}

/**
 * Median wall time of `node <args>` for each of `commands`, over `runs` rounds (a first warm-up round is not counted).
 * The commands take turns within each round, so a change of load on a shared machine weighs on all of them alike.
 */
export function timeNodes(commands, runs) {
  const samples = commands.map(() => []);
  for (let i = 0; i <= runs; i++) {
    commands.forEach((args, k) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
      if (i > 0) samples[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  }
  return samples.map(median);
}

/**
 * Runs the CLI with --json --verbose against `endpoint` in `cwd`; returns wall time, AWS calls (from the
 * call-trace events), mutating calls and peak RSS.
 */
export async function runCli(args, cwd, endpoint) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    CI: 'true',
  };
  const fullArgs = [cli, ...args, '--endpoint-url', endpoint];
  const command = timeBin ?? process.execPath;
  const commandArgs = timeBin ? ['-f', 'ECSKIT_MAXRSS_KB=%M', process.execPath, ...fullArgs] : fullArgs;
  const t0 = process.hrtime.bigint();
  // Not spawnSync: the strict proxy the CLI talks to runs in this process's event loop.
  const r = await new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`ecs-kit ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  const events = args.includes('--json')
    ? r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
    : [];
  const calls = events.filter((e) => e.type === 'aws.call');
  const rss = /ECSKIT_MAXRSS_KB=(\d+)/.exec(r.stderr)?.[1];
  return { ms, calls: calls.length, mutating: calls.filter((c) => c.mutating).length, rssMb: rss ? Number(rss) / 1024 : undefined };
}

export function table(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `  ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')}`;
  return [line(head), ...rows.map(line)].join('\n');
}
