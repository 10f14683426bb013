import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { snapshotFile } from '../../../src/cli/fast-help.js';
import { helpSnapshot, renderHelp } from '../../../src/cli/help-snapshot.js';

/** bin/ecs-kit.js copied into a fresh package folder, with or without a dist/ beside it. */
const dirs: string[] = [];
function packageDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-launcher-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(path.resolve('bin/ecs-kit.js'), path.join(dir, 'bin', 'ecs-kit.js'));
  copyFileSync(path.resolve('bin/package.json'), path.join(dir, 'bin', 'package.json'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module", "version": "9.8.7" }');
  return dir;
}
const run = (dir: string, args = ['--help']) =>
  spawnSync(process.execPath, [path.join(dir, 'bin', 'ecs-kit.js'), ...args], { encoding: 'utf8' });

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bin/ecs-kit.js', () => {
  it('says "not built yet" and how to build, with no stack trace, when dist/ is missing', () => {
    const r = run(packageDir());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ecs-kit is not built yet: run npm run build/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('answers --version (alone) from package.json without loading the bundle', () => {
    const dir = packageDir();
    for (const flag of ['--version', '-V']) {
      const r = run(dir, [flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('9.8.7\n');
    }
    // Anything more goes to the CLI (here: not built).
    expect(run(dir, ['--version', '--json']).stderr).toMatch(/not built yet/);
  });

  it('runs the bundle when it is there, and keeps a real error of the bundle (with its stack)', () => {
    const dir = packageDir();
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(
      path.join(dir, 'dist', 'cli', 'main.js'),
      'export async function main(argv) { process.stdout.write(argv.at(-1)); return 3; }',
    );
    const ok = run(dir);
    expect(ok.stdout).toBe('--help');
    expect(ok.status).toBe(3);
    writeFileSync(path.join(dir, 'dist', 'cli', 'main.js'), "import './missing-chunk.js';\nexport async function main() { return 0; }");
    const broken = run(dir);
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).not.toMatch(/not built yet/);
    expect(broken.stderr).toMatch(/missing-chunk/);
  });

  it('exits quietly, without an EPIPE stack trace, when the reader of its output goes away (ecs-kit ... | head -1)', async () => {
    const dir = packageDir();
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    // Writes after the reader has gone, as `ecs-kit --help | head -1` does when head is quicker.
    writeFileSync(
      path.join(dir, 'dist', 'cli', 'main.js'),
      "export async function main() { await new Promise((r) => setTimeout(r, 300)); process.stdout.write('x'.repeat(1 << 20)); return 0; }",
    );
    const child = spawn(process.execPath, [path.join(dir, 'bin', 'ecs-kit.js'), '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('stops a command that stops on Ctrl-C the same way when the reader goes away, and drops its later output', async () => {
    const dir = packageDir();
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    writeFileSync(
      path.join(dir, 'dist', 'cli', 'main.js'),
      [
        'export async function main() {',
        "  const stopped = new Promise((r) => process.on('SIGINT', () => r(7)));",
        '  for (let i = 0; i < 3; i++) {',
        '    await new Promise((r) => setTimeout(r, 200));',
        "    process.stdout.write('x'.repeat(1 << 20));",
        '  }',
        '  return stopped;',
        '}',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [path.join(dir, 'bin', 'ecs-kit.js'), 'logs', '--follow'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(7);
  });

  it('prints a lone --help from the help rendered at build time, without loading the CLI; the rest goes to the CLI', async () => {
    const dir = packageDir();
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    mkdirSync(path.join(dir, 'dist', 'help'));
    await build({
      entryPoints: ['src/cli/fast-help.ts'],
      outfile: path.join(dir, 'dist', 'cli', 'fast-help.cjs'),
      bundle: true,
      format: 'cjs',
      platform: 'node',
      logLevel: 'warning',
    });
    for (const p of [[], ['deploy']]) writeFileSync(path.join(dir, 'dist', 'help', snapshotFile(p)), JSON.stringify(await helpSnapshot(p)));
    writeFileSync(path.join(dir, 'dist', 'cli', 'main.js'), "export async function main() { process.stdout.write('CLI'); return 0; }");
    for (const args of [['--help'], ['-h'], ['deploy', '--help'], []]) {
      const want = await renderHelp(args);
      const r = run(dir, args);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }, args.join(' ')).toEqual({
        status: 0,
        stdout: want.stdout,
        stderr: want.stderr,
      });
    }
    // No text for it (or not a lone help request): the CLI answers.
    for (const args of [['plan', '--help'], ['deploy', '--json', '--help'], ['deploy']]) expect(run(dir, args).stdout).toBe('CLI');
  }, 60_000);
});
