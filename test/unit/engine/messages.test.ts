import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, NOTICE_CODES, WARNING_CODES, type Fault } from '../../../src/engine/messages.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WHOSE: Record<Fault, string> = { user: 'you', aws: 'AWS', 'ecs-kit': 'ecs-kit (a bug)' };

/** README's rows for each kind, as the registry says them: README "Message codes" is this text. */
const EXPECTED = {
  Errors: Object.entries(ERROR_CODES).map(([code, e]) => `| \`${code}\` | ${WHOSE[e.fault]} | ${e.description} |`),
  Warnings: Object.entries(WARNING_CODES).map(([code, description]) => `| \`${code}\` | ${description} |`),
  Notices: Object.entries(NOTICE_CODES).map(([code, description]) => `| \`${code}\` | ${description} |`),
};

/** The table rows under each "### <kind>" heading of the README's "## Message codes" section. */
function readmeRows(): Record<keyof typeof EXPECTED, string[]> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Message codes\n');
  expect(start, 'README.md has a "## Message codes" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const rows = { Errors: [] as string[], Warnings: [] as string[], Notices: [] as string[] };
  let kind: keyof typeof rows | undefined;
  for (const line of section.split('\n')) {
    const heading = /^### (\w+)/.exec(line)?.[1];
    if (heading) kind = heading in rows ? (heading as keyof typeof rows) : undefined;
    else if (kind && line.startsWith('| `')) rows[kind].push(line);
  }
  return rows;
}

const codeOf = (row: string) => /^\| `([^`]+)`/.exec(row)![1]!;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('message codes', () => {
  it('README "Message codes" lists every code of the registry, and no other', () => {
    const rows = readmeRows();
    for (const kind of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
      const listed = rows[kind].map(codeOf).sort();
      const registry = EXPECTED[kind].map(codeOf).sort();
      expect(
        listed,
        `README "### ${kind}": missing ${registry.filter((c) => !listed.includes(c)).join(', ') || 'none'}; ` +
          `not in the registry ${listed.filter((c) => !registry.includes(c)).join(', ') || 'none'}`,
      ).toEqual(registry);
    }
  });

  it('README gives each code the meaning the registry gives it (the rows to paste are in the diff)', () => {
    const rows = readmeRows();
    for (const kind of Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]) {
      expect(rows[kind], `README "### ${kind}"`).toEqual(EXPECTED[kind]);
    }
  });

  it('uses every code of the registry somewhere in src/ (no dead codes)', () => {
    const registry = path.join(ROOT, 'src/engine/messages.ts');
    const source = sourceFiles(path.join(ROOT, 'src'))
      .filter((f) => f !== registry)
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const codes = [...Object.keys(ERROR_CODES), ...Object.keys(WARNING_CODES), ...Object.keys(NOTICE_CODES)];
    expect(codes.filter((code) => !source.includes(`'${code}'`))).toEqual([]);
  });

  it('gives each code one kind: no code is both an error and a warning or notice', () => {
    const all = [...Object.keys(ERROR_CODES), ...Object.keys(WARNING_CODES), ...Object.keys(NOTICE_CODES)];
    expect(all.filter((c, i) => all.indexOf(c) !== i)).toEqual([]);
  });
});
