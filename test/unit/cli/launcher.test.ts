import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** bin/ecs-kit.js copied into a fresh package folder, with or without a dist/ beside it. */
const dirs: string[] = [];
function packageDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-launcher-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'bin'));
  copyFileSync(path.resolve('bin/ecs-kit.js'), path.join(dir, 'bin', 'ecs-kit.js'));
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
});
