import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextDigest } from '../../../src/docker/context-digest.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ecs-kit-digest-'));
  write('Dockerfile', 'FROM scratch\nCOPY . /app\n');
  write('src/index.js', 'console.log(1)\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, body: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), body);
}

const digest = (over: Partial<Parameters<typeof contextDigest>[0]> = {}) =>
  contextDigest({ context: dir, dockerfile: path.join(dir, 'Dockerfile'), args: {}, platform: 'linux/amd64', ...over });

describe('contextDigest: what docker build is given, without docker', () => {
  it('is stable for the same source and changes with any file docker would send', async () => {
    const before = await digest();
    expect(await digest()).toBe(before);
    write('src/index.js', 'console.log(2)\n');
    expect(await digest()).not.toBe(before);
  });

  it('ignores what .dockerignore excludes, but not what a "!" rule brings back', async () => {
    write('.dockerignore', 'node_modules\n*.log\n!keep.log\n');
    const before = await digest();
    write('node_modules/dep/index.js', 'x');
    write('debug.log', 'noise');
    expect(await digest(), 'excluded files do not count').toBe(before);
    write('keep.log', 'kept');
    expect(await digest(), 'a re-included file counts').not.toBe(before);
  });

  it('always counts the Dockerfile and .dockerignore, even when .dockerignore lists them', async () => {
    write('.dockerignore', 'Dockerfile\n.dockerignore\n');
    const before = await digest();
    write('Dockerfile', 'FROM busybox\n');
    expect(await digest()).not.toBe(before);
  });

  it('changes with the build args, the platform, the Dockerfile path and the executable bit', async () => {
    const base = await digest();
    expect(await digest({ args: { VERSION: '1' } })).not.toBe(base);
    expect(await digest({ platform: 'linux/arm64' })).not.toBe(base);
    write('Other.Dockerfile', 'FROM scratch\nCOPY . /app\n');
    expect(await digest({ dockerfile: path.join(dir, 'Other.Dockerfile') })).not.toBe(await digest());
    const withOther = await digest();
    chmodSync(path.join(dir, 'src/index.js'), 0o755);
    expect(await digest()).not.toBe(withOther);
  });

  it('does not depend on the order files were written in', async () => {
    write('b.txt', 'b');
    write('a.txt', 'a');
    const one = await digest();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    write('a.txt', 'a');
    write('src/index.js', 'console.log(1)\n');
    write('b.txt', 'b');
    write('Dockerfile', 'FROM scratch\nCOPY . /app\n');
    expect(await digest()).toBe(one);
  });
});

describe("contextDigest leaves out ecs-kit's own files", () => {
  it('the config file and the manifest folder change on every deploy but never change the digest', async () => {
    write('ecs-kit.yml', 'app: shop\n');
    write('.ecs-kit/default.json', '{"updatedAt":"1"}');
    const own = [path.join(dir, 'ecs-kit.yml'), path.join(dir, '.ecs-kit')];
    const before = await digest({ own });
    write('ecs-kit.yml', 'app: shop\nregion: eu-west-1\n');
    write('.ecs-kit/default.json', '{"updatedAt":"2"}');
    expect(await digest({ own })).toBe(before);
    expect(await digest(), 'without `own` they count like any file').not.toBe(before);
  });
});
