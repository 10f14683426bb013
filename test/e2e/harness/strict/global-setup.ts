import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HITS_DIR_ENV, hitTable, readHits } from './hits.js';

/**
 * vitest globalSetup of the e2e project: gives every strict proxy a directory for its hit counts
 * and, when the run ends, prints one table of rule hits across the suite. A directory given in
 * ECS_KIT_STRICT_HITS_DIR is kept, so separate runs (one file at a time) add up in one table.
 */
export default function setup(): () => void {
  const given = process.env[HITS_DIR_ENV];
  const dir = given ? path.resolve(given) : mkdtempSync(path.join(tmpdir(), 'ecs-kit-strict-hits-'));
  mkdirSync(dir, { recursive: true });
  process.env[HITS_DIR_ENV] = dir;
  return () => {
    const records = readHits(dir);
    // eslint-disable-next-line no-console
    if (records.length) console.log(`\n${hitTable(records)}\n`);
    if (!given) rmSync(dir, { recursive: true, force: true });
  };
}
