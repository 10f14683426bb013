import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/options.js';
import { Capture } from '../ui/streams.js';

async function completion(shell: string) {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: Io = { stdout, stderr, stdin: Readable.from([]), env: { CI: 'true' }, cwd: tmpdir() };
  const code = await main(['node', 'ecs-kit', 'completion', shell], io);
  return { code, out: stdout.text, err: stderr.text };
}

/** What bash completes for the words typed so far (the last one is the word at the cursor). */
function bashComplete(script: string, words: string[]): string[] {
  const file = path.join(tmpdir(), `ecs-kit-completion-${process.pid}.bash`);
  execFileSync('bash', ['-c', `cat > ${file}`], { input: script });
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync(
    'bash',
    ['-c', `source ${file}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _ecs_kit; printf '%s\\n' "\${COMPREPLY[@]}"`],
    {
      encoding: 'utf8',
      cwd: tmpdir(),
    },
  );
  return out.split('\n').filter(Boolean);
}

describe('ecs-kit completion', () => {
  it('bash: completes every command of the table, subcommands, flags and flag values', async () => {
    const { code, out } = await completion('bash');
    expect(code).toBe(0);
    const top = bashComplete(out, ['ecs-kit', '']);
    for (const spec of COMMANDS) expect(top).toContain(spec.name);
    expect(bashComplete(out, ['ecs-kit', 'dep'])).toEqual(['deploy']);
    expect(bashComplete(out, ['ecs-kit', 'secret', ''])).toEqual(expect.arrayContaining(['set', 'list']));
    // The command's own flags and the global ones, after a flag that takes a value and its value.
    const deployFlags = bashComplete(out, ['ecs-kit', 'deploy', '--env', 'prod', '--']);
    expect(deployFlags).toEqual(expect.arrayContaining(['--yes', '--dry-run', '--region', '--config', '--json', '--help']));
    expect(deployFlags).not.toContain('--detailed-exitcod'); // whole words only
    // After a flag that takes a value, the value is completed (file names), not the flags.
    expect(bashComplete(out, ['ecs-kit', 'init', '--network', '--'])).toEqual([]);
    expect(bashComplete(out, ['ecs-kit', 'completion', '--h'])).toEqual(['--help']);
  });

  it('bash: --config completes file names', async () => {
    const { out } = await completion('bash');
    const dir = await mkdtemp(path.join(tmpdir(), 'ecs-kit-compl-'));
    await writeFile(path.join(dir, 'ecs-kit.prod.yml'), 'app: x\n');
    expect(bashComplete(out, ['ecs-kit', 'plan', '--config', `${dir}/ecs-kit.p`])).toEqual([`${dir}/ecs-kit.prod.yml`]);
  });

  it('zsh and fish: every command and subcommand with its description, and the flags', async () => {
    const zsh = await completion('zsh');
    const fish = await completion('fish');
    expect([zsh.code, fish.code]).toEqual([0, 0]);
    expect(zsh.out.startsWith('#compdef ecs-kit\n')).toBe(true);
    for (const spec of COMMANDS) {
      expect(zsh.out).toContain(`'${spec.name}:`);
      expect(fish.out).toContain(`-a '${spec.name}' -d `);
    }
    expect(zsh.out).toMatch(/'--network\[learning \(public subnets[^']*\]:value:_files'/);
    expect(zsh.out).toMatch(/'--dry-run\[[^']*\]'/);
    expect(fish.out).toMatch(/-l config -r -F -d 'config file/);
    expect(fish.out).toMatch(/-l yes -s y -d /);
    expect(fish.out).toMatch(/test "\(__ecs_kit_path\)" = \\'secret\\'.* -a 'set'/);
  });

  it('an unknown shell is a usage error naming the choices (exit 2)', async () => {
    const { code, err } = await completion('powershell');
    expect(code).toBe(2);
    expect(err).toMatch(/"powershell" is not a shell ecs-kit completes/);
    expect(err).toMatch(/bash \| zsh \| fish/);
  });
});
