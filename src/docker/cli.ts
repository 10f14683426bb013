import { spawn } from 'node:child_process';
import { EcsKitError } from '../errors.js';

export interface BuildOptions {
  context: string;
  dockerfile: string;
  tag: string;
  platform?: string;
  args?: Record<string, string>;
}

/** The image build/push seam. The real one shells out to the user's `docker`; tests put a stub `docker` on PATH. */
export interface DockerCli {
  build(opts: BuildOptions): Promise<void>;
  tag(source: string, target: string): Promise<void>;
  /** Password goes through stdin, never argv, so it cannot show up in `ps` or logs. */
  login(registry: string, username: string, password: string): Promise<void>;
  push(ref: string): Promise<void>;
}

export class ShellDocker implements DockerCli {
  constructor(
    private readonly bin = process.env.ECS_KIT_DOCKER ?? 'docker',
    private readonly onOutput?: (line: string) => void,
  ) {}

  async build(o: BuildOptions): Promise<void> {
    const args = ['build', '--file', o.dockerfile, '--tag', o.tag];
    if (o.platform) args.push('--platform', o.platform);
    for (const [k, v] of Object.entries(o.args ?? {})) args.push('--build-arg', `${k}=${v}`);
    args.push(o.context);
    await this.run(args, 'building the image');
  }

  async tag(source: string, target: string): Promise<void> {
    await this.run(['tag', source, target], 'tagging the image');
  }

  async login(registry: string, username: string, password: string): Promise<void> {
    await this.run(['login', '--username', username, '--password-stdin', registry], 'logging in to the registry', password);
  }

  async push(ref: string): Promise<void> {
    await this.run(['push', ref], 'pushing the image');
  }

  private run(args: string[], action: string, stdin?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let child;
      try {
        child = spawn(this.bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (err) {
        reject(dockerMissing(action, err));
        return;
      }
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        for (const line of d.toString().split('\n')) if (line.trim()) this.onOutput?.(line);
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('error', (err) => reject(dockerMissing(action, err)));
      child.on('close', (code) => {
        if (code === 0) resolve(stdout);
        else
          reject(
            new EcsKitError('docker.failed', `docker failed while ${action} (exit code ${code}).`, {
              why: lastLines(stderr) || 'docker printed no error output.',
              fix: action.startsWith('building')
                ? 'Fix the Dockerfile or build context and run deploy again.'
                : 'Check that the Docker daemon is running and you can reach the registry.',
            }),
          );
      });
      child.stdin.end(stdin ?? '');
    });
  }
}

function dockerMissing(action: string, err: unknown): EcsKitError {
  return new EcsKitError('docker.missing', `Could not run docker while ${action}.`, {
    why:
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'The docker command is not installed or not on PATH.'
        : String((err as Error).message),
    fix: 'Install Docker (https://docs.docker.com/get-docker/), or set services.<name>.image to an image that is already pushed.',
    cause: err,
  });
}

/**
 * Lines docker prints around the real error that say nothing about it: the legacy builder's deprecation notice (and
 * its indented continuation lines) and the tar writer's follow-on errors once the daemon connection is gone.
 */
function isNoise(line: string, previousWasNoise: boolean): boolean {
  if (/^DEPRECATED: The legacy builder is deprecated/.test(line)) return true;
  if (previousWasNoise && /^\s+\S/.test(line)) return true;
  return /level=error msg="Can't (add file|close tar writer)/.test(line);
}

/** The meaningful lines of docker's stderr, without the noise above and blank lines. */
export function dockerErrorLines(text: string): string[] {
  const out: string[] = [];
  let noise = false;
  for (const line of text.split('\n')) {
    noise = isNoise(line, noise);
    if (!noise && line.trim() !== '') out.push(line.trimEnd());
  }
  return out;
}

function lastLines(text: string, n = 5): string {
  return dockerErrorLines(text).slice(-n).join('\n');
}

/**
 * Before a deploy that will build an image changes anything: the docker CLI runs and reaches its daemon. `docker
 * version` asks the daemon for its version and exits non-zero when it cannot reach it ("Cannot connect to the Docker
 * daemon…"), so a stopped Docker is reported up front and plainly. Bounded: a hung daemon socket must not hang deploy.
 */
export function checkDockerReady(bin = process.env.ECS_KIT_DOCKER ?? 'docker', timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(bin, ['version', '--format', '{{.Server.Version}}'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      reject(dockerMissing('checking that Docker is running', err));
      return;
    }
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(dockerMissing('checking that Docker is running', err));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const lines = dockerErrorLines(stderr);
      const denied = lines.some((l) => /permission denied/i.test(l));
      reject(
        new EcsKitError(
          'docker.daemon',
          'Docker is not ready: the docker command cannot reach the Docker daemon, so no image can be built.',
          {
            why: signal
              ? `docker version did not answer within ${Math.round(timeoutMs / 1000)} s.`
              : lines.slice(-3).join('\n') || `docker version exited with code ${code}.`,
            fix: denied
              ? 'Give your user access to the Docker socket (e.g. add it to the docker group and log in again), then run deploy again. Nothing was changed in AWS.'
              : 'Start Docker (Docker Desktop, or `sudo systemctl start docker` on Linux) and run deploy again. Nothing was changed in AWS.',
          },
        ),
      );
    });
  });
}
