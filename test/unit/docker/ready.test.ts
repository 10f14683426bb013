import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDockerReady, dockerErrorLines } from '../../../src/docker/cli.js';

/** A `docker` that prints `stderr` and exits with `code`. */
function fakeDocker(stderr: string, code: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-docker-ready-'));
  const bin = path.join(dir, 'docker');
  writeFileSync(bin, `#!/bin/sh\ncat >&2 <<'EOF'\n${stderr}\nEOF\nexit ${code}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

const NO_DAEMON = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const DEPRECATED =
  'DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n            Install the buildx component to build images with BuildKit:\n            https://docs.docker.com/go/buildx/\n';

describe('checkDockerReady', () => {
  it('passes when docker reaches its daemon', async () => {
    await expect(checkDockerReady(fakeDocker('', 0))).resolves.toBeUndefined();
  });

  it('says plainly that Docker is not running, with what docker said and how to start it', async () => {
    const err = await checkDockerReady(fakeDocker(NO_DAEMON, 1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'docker.daemon', exitCode: 1, why: NO_DAEMON });
    expect((err as Error).message).toContain('cannot reach the Docker daemon');
    expect((err as { fix: string }).fix).toContain('Start Docker');
  });

  it('a docker that is not installed is docker.missing', async () => {
    await expect(checkDockerReady('/nonexistent/docker')).rejects.toMatchObject({ code: 'docker.missing' });
  });
});

describe('dockerErrorLines', () => {
  it('drops the legacy builder notice and the tar writer noise around the real error', () => {
    const noisy = `${DEPRECATED}\ntime="2026-12-01T15:00:13Z" level=error msg="Can't add file /x/.ecs-kit to tar: io: read/write on closed pipe"\n${NO_DAEMON}\n`;
    expect(dockerErrorLines(noisy)).toEqual([NO_DAEMON]);
  });
});
