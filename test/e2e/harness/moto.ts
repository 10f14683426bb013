import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';

export interface Moto {
  endpoint: string;
  port: number;
  /** POST /moto-api/reset: wipes every service (about 1.3 s with managed policies loaded). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 30_000;

/** Asks the OS for a free loopback port. A tiny race with other processes is acceptable in tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

/** The service-linked roles ecs-kit's resources use, as IAM names them (moto's CreateServiceLinkedRole gets the case wrong). */
const SERVICE_LINKED_ROLES = [
  ['ecs.amazonaws.com', 'AWSServiceRoleForECS'],
  ['elasticloadbalancing.amazonaws.com', 'AWSServiceRoleForElasticLoadBalancing'],
  ['ecs.application-autoscaling.amazonaws.com', 'AWSServiceRoleForApplicationAutoScaling_ECSService'],
  ['autoscaling.amazonaws.com', 'AWSServiceRoleForAutoScaling'],
] as const;

/**
 * An account that already has the service-linked roles (most real accounts do). Without them, a
 * CLI that creates missing ones would call CreateServiceLinkedRole on every deploy against plain
 * moto, whose GetRole never finds the wrong-case role it made. The strict layer answers these
 * calls itself from a fresh account's state, so this seed is invisible through it.
 */
async function seedServiceLinkedRoles(endpoint: string): Promise<void> {
  const iam = new IAMClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  try {
    for (const [service, RoleName] of SERVICE_LINKED_ROLES) {
      const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] };
      await iam.send(
        new CreateRoleCommand({ RoleName, Path: `/aws-service-role/${service}/`, AssumeRolePolicyDocument: JSON.stringify(trust) }),
      );
    }
  } finally {
    iam.destroy();
  }
}

/**
 * Starts a private moto_server on a free loopback port. Managed IAM policies are loaded
 * (AttachRolePolicy of AWS-managed policies fails otherwise), services report one running
 * task so a service with desiredCount 1 is "stable" (moto never runs tasks), and the
 * service-linked roles exist (unless `serviceLinkedRoles: false`).
 */
export async function startMoto(opts: { env?: Record<string, string>; serviceLinkedRoles?: boolean } = {}): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://${HOST}:${port}`;
  const env = { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_ECS_SERVICE_RUNNING: '1', ...opts.env };

  const child = spawn('moto_server', ['-H', HOST, '-p', String(port)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: moto_server is often a pyenv/venv shim, and we must kill the python child too.
    detached: true,
  });
  // Ctrl-C on `npm test` does not reach moto's own process group: a watchdog stops it when this process is gone.
  if (child.pid !== undefined) watchMoto(child.pid);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  let failed = false;
  const spawnError = new Promise<Error>((resolve) =>
    child.once('error', (err) => {
      failed = true;
      resolve(err);
    }),
  );

  const ready = waitUntilAnswering(endpoint, () => failed || exited !== undefined);
  const first = await Promise.race([ready.then(() => null), spawnError]);
  if (first instanceof Error) {
    if ((first as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error("moto_server not found. Install it with: pip install 'moto[server]'");
    }
    throw new Error(`Could not start moto_server: ${first.message}`);
  }
  const ok = await ready;
  if (!ok) {
    await killGroup(child, exitedPromise);
    const why = exited
      ? `it exited (code ${exited.code}, signal ${exited.signal})`
      : `it did not answer within ${START_TIMEOUT_MS / 1000} s`;
    throw new Error(`moto_server on ${endpoint} failed to start: ${why}.\n--- moto output ---\n${output.trim()}`);
  }

  if (opts.serviceLinkedRoles !== false) {
    await seedServiceLinkedRoles(endpoint).catch(async (err: Error) => {
      await killGroup(child, exitedPromise);
      throw new Error(`moto_server on ${endpoint} started, but seeding the service-linked roles failed: ${err.message}`);
    });
  }

  return {
    endpoint,
    port,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
    stop: () => killGroup(child, exitedPromise),
  };
}

const WATCHDOG = fileURLToPath(new URL('./moto-watchdog.mjs', import.meta.url));

/** Starts moto-watchdog.mjs for the moto process group `group`, owned by this process (detached, not waited for). */
export function watchMoto(group: number, owner = process.pid): void {
  const dog = spawn(process.execPath, [WATCHDOG, String(owner), String(group)], { detached: true, stdio: 'ignore' });
  dog.on('error', () => {}); // best effort: afterAll still stops moto on a normal run
  dog.unref();
}

async function waitUntilAnswering(endpoint: string, hasExited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && !hasExited()) {
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      return true; // any HTTP answer means the server is up
    } catch {
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return false;
}

async function killGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // group already gone
    }
  };
  signal('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5_000).unref());
  if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
    signal('SIGKILL');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
}
