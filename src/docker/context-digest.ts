import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import dockerignorePackage from '@balena/dockerignore';

// A CommonJS package whose typings declare an ES default export: its module object carries `default`.
const dockerignore = dockerignorePackage.default;

/** What goes into an image besides the files: the Dockerfile's place, the build args and the platform. */
export interface BuildInputs {
  /** Absolute path of the build context. */
  context: string;
  /** Absolute path of the Dockerfile (inside the context). */
  dockerfile: string;
  args: Record<string, string>;
  platform: string;
  /** Files or folders of ecs-kit's own (the config, the manifest folder) that never count: they change on every deploy. */
  own?: string[];
}

/**
 * A digest of everything `docker build` is given: every file of the context that .dockerignore
 * does not exclude (path, type and content), the Dockerfile's path, the build args and the
 * platform, but not ecs-kit's own config file and manifest folder (they change with every deploy and the
 * app does not read them; add them to .dockerignore to keep them out of the image too). Like the asset hash of the CDK, it is known without running docker, so `plan` can
 * tell whether there is anything new to build and push while staying read-only, and an unchanged
 * source never builds again. (.dockerignore semantics: Docker's own matcher, via
 * @balena/dockerignore, the package the CDK uses; the Dockerfile and .dockerignore are always sent.)
 */
export async function contextDigest(inputs: BuildInputs): Promise<string> {
  const rules = await readIgnoreFile(inputs.context);
  const ignore = dockerignore().add(rules);
  // Without "!" exceptions an excluded directory holds nothing that is sent: don't read it (node_modules…).
  const enter = rules.some((r) => r.trim().startsWith('!')) ? () => true : (dir: string) => !ignore.ignores(dir);
  const always = new Set(['.dockerignore', toPosix(path.relative(inputs.context, inputs.dockerfile))]);
  const own = new Set((inputs.own ?? []).map((p) => toPosix(path.relative(inputs.context, p))));
  const enterDir = (dir: string) => !own.has(dir) && enter(dir);
  const hash = createHash('sha256');
  const files: string[] = [];
  await walk(inputs.context, '', { keep: (rel) => always.has(rel) || (!own.has(rel) && !ignore.ignores(rel)), enter: enterDir }, files);
  for (const rel of files.sort()) {
    const full = path.join(inputs.context, rel);
    const info = await lstat(full);
    const body = info.isSymbolicLink() ? `link:${await readlink(full)}` : sha256(await readFile(full));
    // The executable bit changes what the image does; other mode bits and timestamps do not.
    hash.update(`${rel}\0${info.mode & 0o111 ? 'x' : '-'}\0${body}\n`);
  }
  hash.update(`dockerfile\0${toPosix(path.relative(inputs.context, inputs.dockerfile))}\n`);
  for (const key of Object.keys(inputs.args).sort()) hash.update(`arg\0${key}\0${inputs.args[key]}\n`);
  hash.update(`platform\0${inputs.platform}\n`);
  return hash.digest('hex');
}

async function readIgnoreFile(context: string): Promise<string[]> {
  try {
    return (await readFile(path.join(context, '.dockerignore'), 'utf8')).split(/\r?\n/);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Collect the files (and symlinks) below `rel` that are sent to docker. */
async function walk(
  root: string,
  rel: string,
  filter: { keep: (rel: string) => boolean; enter: (dir: string) => boolean },
  out: string[],
): Promise<void> {
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (filter.enter(child)) await walk(root, child, filter, out);
    } else if ((e.isFile() || e.isSymbolicLink()) && filter.keep(child)) out.push(child);
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
