import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll } from 'vitest';
import type { GlobalOptions, Io } from '../../../src/cli/options.js';
import { RecordingReporter } from '../../helpers/reporter.js';
import { emptyManifest, type HistoryEntry, type Manifest } from '../../../src/engine/manifest.js';
import { strict } from '../../helpers/aws-mock.js';
import { Capture } from '../ui/streams.js';

export const ACCOUNT = '123456789012';
export const TD = (rev: number) => `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/shop-default-web:${rev}`;
export const TG_ARN = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/shop-default-web/abc`;
export const URL = 'http://shop-default-1.us-east-1.elb.amazonaws.com/';

export const ONE_SERVICE = `app: shop
services:
  web:
    image: nginx:1.27
    port: 80
`;

export const sts = mockClient(STSClient);

// The commands load every AWS client lazily (the EC2 one is large): pay for it once, before the tests' clocks start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
beforeAll(async () => {
  await import('../../../src/aws/clients.js');
}, 60_000);

/** STS answers like a real account; every other command on it fails the test. */
export function mockIdentity(): void {
  sts.reset();
  strict(sts);
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/test` });
}

/** A manifest as a deploy of ONE_SERVICE leaves it (only the parts day-2 commands read). */
export function deployedManifest(history: HistoryEntry[] = [], taskDefinitionArn = TD(2)): Manifest {
  const m = emptyManifest('shop', 'default', ACCOUNT, 'us-east-1');
  m.steps['service:web'] = {
    kind: 'service',
    scope: 'web',
    dependsOn: ['cluster'],
    state: { clusterName: 'shop-default', serviceName: 'web', serviceArn: 'arn:svc', taskDefinitionArn, url: URL },
    updatedAt: m.updatedAt,
  };
  if (history.length) m.history = history;
  return m;
}

export interface Workdir {
  dir: string;
  io: Io;
  stdout: Capture;
  stderr: Capture;
  reporter: RecordingReporter;
  opts: GlobalOptions;
  manifestFile: string;
  cleanup(): Promise<void>;
}

export async function workdir(configText = ONE_SERVICE, manifest?: Manifest): Promise<Workdir> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-day2-'));
  await writeFile(path.join(dir, 'ecs-kit.yml'), configText);
  const manifestFile = path.join(dir, '.ecs-kit', 'default.json');
  if (manifest) {
    await mkdir(path.dirname(manifestFile), { recursive: true });
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2));
  }
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from([]) as unknown as Io['stdin'];
  return {
    dir,
    io: { stdout, stderr, stdin, env: {}, cwd: dir },
    stdout,
    stderr,
    reporter: new RecordingReporter(),
    opts: { env: 'default', region: 'us-east-1', maxAttempts: 1, yes: true },
    manifestFile,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
