// The published package as a newcomer gets it: `npm pack`, then a clean `npm install -g <tarball>` into a temp prefix.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { du, megabytes, root } from './util.mjs';

function npm(args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout: r.stdout };
}

/** Tarball size and files; installed size, packages and time (the npm cache is whatever this machine has). */
export function measurePackage() {
  const tmp = mkdtempSync(path.join(tmpdir(), 'ecs-kit-pack-'));
  try {
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', tmp], root).stdout)[0];
    const tarball = path.join(tmp, packed.filename);
    const prefix = path.join(tmp, 'prefix');
    const install = npm(['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], tmp);
    const modules = path.join(prefix, 'lib', 'node_modules');
    const installed = du(modules);
    // What `du` reports: disk blocks, so many small files weigh more than their bytes.
    installed.diskBytes = Number(spawnSync('du', ['-sk', modules], { encoding: 'utf8' }).stdout.split('\t')[0]) * 1024;
    const packages = countPackages(path.join(modules, 'ecs-kit', 'node_modules'));
    return {
      tarballBytes: packed.size,
      unpackedBytes: packed.unpackedSize,
      files: packed.entryCount,
      installed,
      packages,
      installMs: install.ms,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function countPackages(dir) {
  let n = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === '.bin') continue;
    if (e.name.startsWith('@')) n += countPackages(path.join(dir, e.name));
    else n += 1 + countPackages(path.join(dir, e.name, 'node_modules'));
  }
  return n;
}

export function printPackage(p) {
  console.log('\nPackage (npm pack, then a clean npm install -g of the tarball into a temp prefix)');
  console.log(
    `  tarball              ${(p.tarballBytes / 1024).toFixed(0)} KB, ${p.files} files (${(p.unpackedBytes / 1024).toFixed(0)} KB unpacked)`,
  );
  console.log(
    `  installed            ${megabytes(p.installed.bytes)} in ${p.installed.files} files (${megabytes(p.installed.diskBytes)} on disk), ${p.packages} dependency package(s)`,
  );
  console.log(`  install time         ${(p.installMs / 1000).toFixed(1)} s (npm cache as this machine has it)`);
}
