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

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
