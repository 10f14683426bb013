import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STUB_SCRIPT = fileURLToPath(new URL('./docker-stub/docker.mjs', import.meta.url));

export interface DockerLogin {
  registry?: string;
  username?: string;
  /** Whether a non-empty password arrived on stdin. The value itself is never recorded. */
  passwordOnStdin: boolean;
}

export interface DockerStub {
  /** Directory holding an executable named `docker`; prepend it to PATH. */
  binDir: string;
  logFile: string;
  /** Env for the process that will run `docker`: PATH first, then the stub's own settings. */
  env(opts: { ecrEndpoint: string; basePath?: string; imageId?: string }): Record<string, string>;
  /** Every invocation's argv, in order. */
  calls(): Promise<string[][]>;
  logins(): Promise<DockerLogin[]>;
  /** Deletes the temp dir (wrapper and logs). */
  remove(): Promise<void>;
}

/**
 * Writes a `docker` wrapper into a fresh temp dir. The wrapper pins this Node binary, so it
 * works even when `node` is not on the PATH the CLI sees.
 */
export async function createDockerStub(): Promise<DockerStub> {
  const binDir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-docker-'));
  const logFile = path.join(binDir, 'docker.log');
  const wrapper = path.join(binDir, 'docker');
  await writeFile(wrapper, `#!/bin/sh\nexec ${sh(process.execPath)} ${sh(STUB_SCRIPT)} "$@"\n`);
  await chmod(wrapper, 0o755);
  await writeFile(logFile, '');

  const lines = async (file: string): Promise<unknown[]> => {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as unknown);
  };

  return {
    binDir,
    logFile,
    env: ({ ecrEndpoint, basePath = process.env.PATH ?? '', imageId }) => ({
      PATH: `${binDir}${path.delimiter}${basePath}`,
      DOCKER_STUB_LOG: logFile,
      DOCKER_STUB_ECR_ENDPOINT: ecrEndpoint,
      ...(imageId ? { DOCKER_STUB_IMAGE_ID: imageId } : {}),
    }),
    calls: async () => (await lines(logFile)) as string[][],
    logins: async () => (await lines(`${logFile}.login`)) as DockerLogin[],
    remove: () => rm(binDir, { recursive: true, force: true }),
  };
}

function sh(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
