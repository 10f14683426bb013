#!/usr/bin/env node
// Benchmark (not a test): prints figures, asserts nothing. Usage: npm run bench (builds first).
//   1. Start-up: `ecs-kit --help` / `deploy --help` / `--version` against bare `node -e 0`.
//   2. Package: `npm pack` and a clean `npm install -g` of the tarball (BENCH_PACKAGE=0 skips it).
//   3. moto on loopback: calls, wall time and peak RSS of a deploy, a no-op deploy and a teardown (learning profile).
//   4. Real-AWS timing through the strict AWS layer (production profile): new NAT gateways `pending` and new load
//      balancers `provisioning` for BENCH_WAIT_MS (default 20 s), deleted NAT gateways `deleting` as long. Wall time
//      against the floor, the longest single wait AWS imposes (a deploy cannot finish before its slowest resource is
//      ready, a teardown before its NAT gateways are gone).
//   5. Calls on the critical path: the same runs with no provisioning windows and BENCH_LATENCY_MS (default 100 ms)
//      added to every AWS call. Calls on the critical path = the longest chain of calls in the trace that ran one
//      after another (concurrent calls overlap, so at most one of them counts). Cross-check: the extra wall time over
//      a run without the latency ÷ the latency (noisier: it also carries moto's and node's jitter).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lifecycle, loadHarness } from './bench/aws.mjs';
import { measurePackage, printPackage } from './bench/package.mjs';
import { cli, runCli, seconds, table, timeNodes } from './bench/util.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const WAIT_MS = Number(process.env.BENCH_WAIT_MS ?? 20_000);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);

const [nodeMs, helpMs, commandHelpMs, versionMs] = timeNodes(
  [
    ['-e', '0'],
    [cli, '--help'],
    [cli, 'deploy', '--help'],
    [cli, '--version'],
  ],
  RUNS,
);
const ratio = (ms, floor) => `${(ms / floor).toFixed(2)}×`;
console.log(`\nStart-up (median of ${RUNS}, the four taking turns)`);
console.log(`  node -e 0            ${nodeMs.toFixed(1)} ms`);
console.log(`  ecs-kit --help       ${helpMs.toFixed(1)} ms   (${ratio(helpMs, nodeMs)} bare node)`);
console.log(`  ecs-kit deploy --help ${commandHelpMs.toFixed(1)} ms  (${ratio(commandHelpMs, nodeMs)} bare node)`);
console.log(`  ecs-kit --version    ${versionMs.toFixed(1)} ms   (${ratio(versionMs, nodeMs)} bare node)`);

if (process.env.BENCH_PACKAGE !== '0') printPackage(measurePackage());

const h = await loadHarness();
const moto = await h.startMoto();
const dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-bench-'));
try {
  // 3. Plain moto, learning profile: the figures earlier benches printed.
  const learning = path.join(dir, 'learning');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(learning);
  await runCli(['init', '--yes', '--name', 'bench', '--image', 'nginx:1.27', '--port', '80'], learning, moto.endpoint);
  const plain = [
    ['full deploy', await runCli(['deploy', '--yes', '--json', '--verbose'], learning, moto.endpoint)],
    ['no-op deploy', await runCli(['deploy', '--yes', '--json', '--verbose'], learning, moto.endpoint)],
    ['teardown', await runCli(['teardown', '--yes', '--json', '--verbose'], learning, moto.endpoint)],
  ];
  console.log('\nAgainst moto_server on loopback (learning profile, one public Fargate web service)');
  console.log(
    table(
      ['run', 'AWS calls', 'mutating', 'wall time', 'peak RSS'],
      plain.map(([name, r]) => [name, r.calls, r.mutating, seconds(r.ms), r.rssMb ? `${r.rssMb.toFixed(0)} MB` : '?']),
    ),
  );

  // 4. Real AWS's waits, shrunk to WAIT_MS.
  const waits = { natPending: WAIT_MS, lbProvisioning: WAIT_MS, natDeleting: WAIT_MS };
  const slow = await lifecycle(h, moto, dir, 'bench-wait', { windows: waits });
  console.log(
    `\nProduction profile through the strict AWS layer: NAT gateway pending ${WAIT_MS / 1000} s, load balancer provisioning ${WAIT_MS / 1000} s, NAT gateway deleting ${WAIT_MS / 1000} s`,
  );
  const floors = { full: WAIT_MS, update: 0, noop: 0, teardown: WAIT_MS };
  const names = { full: 'full deploy', update: 'image update', noop: 'no-op deploy', teardown: 'teardown' };
  console.log(
    table(
      ['run', 'wall time', 'floor', 'ratio', 'AWS calls', 'mutating'],
      Object.entries(slow).map(([k, r]) => [
        names[k],
        seconds(r.ms),
        floors[k] ? seconds(floors[k]) : '-',
        floors[k] ? ratio(r.ms, floors[k]) : '-',
        r.calls,
        r.mutating,
      ]),
    ),
  );

  // 5. Calls on the critical path.
  const fast = await lifecycle(h, moto, dir, 'bench-cp0');
  const late = await lifecycle(h, moto, dir, 'bench-cp1', { latencyMs: LATENCY_MS });
  console.log(
    `\nCalls on the critical path (production profile, no provisioning windows, +${LATENCY_MS} ms per call): the longest chain of calls ` +
      `that ran one after another in the trace; cross-check: (wall with +${LATENCY_MS} ms − wall without) ÷ ${LATENCY_MS} ms`,
  );
  console.log(
    table(
      ['run', 'AWS calls', 'mutating', 'critical path', 'share', 'wall', `wall +${LATENCY_MS} ms`, 'Δ ÷ latency'],
      Object.keys(fast).map((k) => [
        names[k],
        late[k].calls,
        late[k].mutating,
        late[k].chain,
        `${Math.round((100 * late[k].chain) / late[k].calls)} %`,
        seconds(fast[k].ms),
        seconds(late[k].ms),
        Math.max(0, Math.round((late[k].ms - fast[k].ms) / LATENCY_MS)),
      ]),
    ),
  );
} finally {
  await moto.stop();
  rmSync(dir, { recursive: true, force: true });
}
