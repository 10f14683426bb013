// Deploys and teardowns through the strict AWS layer (test/e2e/harness/strict) in front of a private moto_server:
// the layer makes new NAT gateways `pending`, new load balancers `provisioning` and deleted NAT gateways `deleting`
// for configurable windows (as real AWS does, only shorter), and can add a latency to every call.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { root, runCli } from './util.mjs';

/** The harness is TypeScript: bundle its entry points next to node_modules (so its imports resolve) and load them. */
export async function loadHarness() {
  const outdir = path.join(root, 'node_modules', '.cache', 'ecs-kit-bench');
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { strict: path.join(root, 'test/e2e/harness/strict/proxy.ts'), moto: path.join(root, 'test/e2e/harness/moto.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  const strict = await import(pathToFileURL(path.join(outdir, 'strict.mjs')).href);
  const moto = await import(pathToFileURL(path.join(outdir, 'moto.mjs')).href);
  return { startStrictProxy: strict.startStrictProxy, startMoto: moto.startMoto };
}

const QUIET = {
  ec2Consistency: 0,
  instanceProfile: 0,
  serviceLinkedRole: 0,
  drain: 0,
  releaseAfterNat: 0,
  natPending: 0,
  natDeleting: 0,
  lbProvisioning: 0,
};

/**
 * One app's life through its own strict proxy: init (production profile), full deploy, image-only update, no-op
 * deploy, teardown. Returns each run's figures (wall time, calls, mutating calls).
 */
export async function lifecycle(h, moto, dir, app, { windows = {}, latencyMs = 0, network = 'production' } = {}) {
  const proxy = await h.startStrictProxy(moto.endpoint, { label: app, windows: { ...QUIET, ...windows }, latencyMs });
  try {
    const cwd = path.join(dir, app);
    mkdirSync(cwd, { recursive: true });
    await runCli(['init', '--yes', '--name', app, '--image', 'nginx:1.27', '--port', '80', '--network', network], cwd, proxy.endpoint);
    // Each run's figures, plus the longest chain of its AWS calls that ran one after another (see chain()).
    const run = async (args) => {
      proxy.clear();
      const r = await runCli(args, cwd, proxy.endpoint);
      return { ...r, chain: chain(proxy.sent) };
    };
    const deploy = () => run(['deploy', '--yes', '--json', '--verbose']);
    const full = await deploy();
    const config = path.join(cwd, 'ecs-kit.yml');
    writeFileSync(config, readFileSync(config, 'utf8').replace('nginx:1.27', 'nginx:1.28'));
    const update = await deploy();
    const noop = await deploy();
    const teardown = await run(['teardown', '--yes', '--json', '--verbose']);
    return { full, update, noop, teardown };
  } finally {
    await proxy.stop();
  }
}

/**
 * The most calls of a run that happened strictly one after another (each started after the previous one's answer):
 * the calls on its critical path as the trace shows them. Calls made concurrently overlap, so at most one of them
 * counts. Greedy by end time gives the largest such chain.
 */
export function chain(sent) {
  const calls = sent.filter((c) => c.endedAt !== undefined).sort((a, b) => a.endedAt - b.endedAt);
  let count = 0;
  let free = -Infinity;
  for (const c of calls) {
    if (c.startedAt < free) continue;
    count++;
    free = c.endedAt;
  }
  return count;
}
