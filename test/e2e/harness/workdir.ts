import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** A fresh temp working dir; call the returned cleanup in afterAll. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `ecs-kit-e2e-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Copies fixtures/<from> (file or directory) to <dir>/<to> (default: same base name). */
export async function copyFixture(from: string, dir: string, to = path.basename(from)): Promise<string> {
  const dest = path.join(dir, to);
  await cp(path.join(FIXTURES, from), dest, { recursive: true });
  return dest;
}
