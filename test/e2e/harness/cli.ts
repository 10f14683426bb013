import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// ECS_KIT_E2E_BIN lets a run point at a private build (same layout: bin/ next to dist/).
export const CLI_BIN = process.env.ECS_KIT_E2E_BIN ?? fileURLToPath(new URL('../../../bin/ecs-kit.js', import.meta.url));
const DEFAULT_TIMEOUT_MS = 120_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout lines parsed as JSON (only meaningful with --json); lines that do not parse are skipped. */
  events: any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface CliOptions {
  cwd: string;
  /** Passed as the global --endpoint-url flag. */
  endpoint: string;
  /** Extra env on top of the clean test env (e.g. PATH with the docker stub, or AWS_ENDPOINT_URL when a test wants it). */
  env?: Record<string, string>;
  /** Written to stdin; stdin is closed right after (or at once when absent). */
  input?: string;
  timeoutMs?: number;
}

// Anything that would make the CLI behave differently on a developer's machine or in CI.
const DROP = [
  /^AWS_/,
  /^ECS_KIT_/,
  /^CI$/,
  /^CONTINUOUS_INTEGRATION$/,
  /^GITHUB_/,
  /^BUILDKITE/,
  /^GITLAB_/,
  /^CIRCLECI/,
  /^TRAVIS/,
  /^JENKINS/,
  /^TEAMCITY/,
  /^FORCE_COLOR$/,
  /^NO_COLOR$/,
  /^TERM$/,
  /^COLORTERM$/,
  /^VITEST/,
  /^NODE_ENV$/,
  /^NODE_OPTIONS$/,
  /^DOCKER_/,
];

export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !DROP.some((re) => re.test(k))) env[k] = v;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    // moto's 500s are crashes, not throttling: fail fast instead of retrying them.
    AWS_MAX_ATTEMPTS: '1',
    // No ~/.aws files from the developer's machine.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    CI: 'true',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Runs the built CLI (bin/ecs-kit.js → dist/) as a child process against the given endpoint. */
export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The global flags are defined on each subcommand, so the flag goes right after the command name.
  const endpointFlag = ['--endpoint-url', opts.endpoint];
  const [first, ...rest] = args;
  const fullArgs =
    first !== undefined && !first.startsWith('-') ? [CLI_BIN, first, ...endpointFlag, ...rest] : [CLI_BIN, ...endpointFlag, ...args];
  const built = path.join(path.dirname(CLI_BIN), '..', 'dist', 'cli', 'main.js');
  if (!existsSync(built)) {
    return Promise.reject(
      new Error(`${built} is missing: the e2e tests run the built CLI. Run \`npm run build\` first (or \`npm run test:e2e\`).`),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, fullArgs, {
      cwd: opts.cwd,
      env: cleanEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {}); // the CLI may exit before reading stdin
    child.stdin.end(opts.input ?? '');

    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);

    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `ecs-kit ${args.join(' ')} timed out after ${timeoutMs / 1000} s\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
          ),
        );
        return;
      }
      resolve({ code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 1), stdout, stderr, events: parseEvents(stdout) });
    });
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON events are read loosely by tests
export function parseEvents(stdout: string): any[] {
  const events: unknown[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // not JSON: plain output, or a bug the test will catch by checking every line itself
    }
  }
  return events;
}

/** A compact dump for assertion messages. */
export function describeRun(r: CliResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout.trim()}\n--- stderr ---\n${r.stderr.trim()}`;
}
