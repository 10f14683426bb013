import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { parseConfigText } from '../../../config/load.js';
import { schemaModeline } from '../../../config/json-schema.js';
import type { Reporter } from '../../../engine/events.js';
import { ConfigError, EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import type { GlobalOptions, Io } from '../../options.js';
import { mapCopilot, type CopilotWorkspace, type Unmapped } from './copilot.js';

export interface ImportCopilotOptions extends GlobalOptions {
  dir?: string;
  force?: boolean;
}

async function readYaml(file: string, shown: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8');
  try {
    const doc: unknown = parse(text);
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(
      `${shown} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
      'Fix the file, then run the import again.',
      'import.copilot',
    );
  }
  throw new UsageError(`${shown} is not a YAML mapping.`, 'Point import at a Copilot workspace.', 'import.copilot');
}

const isFile = async (p: string) => (await stat(p).catch(() => undefined))?.isFile() ?? false;

/** copilot/.workspace, each copilot/<svc>/manifest.yml and each copilot/environments/<env>/manifest.yml. */
async function readWorkspace(root: string): Promise<CopilotWorkspace> {
  const copilot = path.join(root, 'copilot');
  if (!(await isFile(path.join(copilot, '.workspace')))) {
    throw new UsageError(
      `No Copilot workspace in ${root}: copilot/.workspace is missing.`,
      'Run the import in the folder that holds copilot/ (where `copilot init` ran), or pass that folder: ecs-kit import copilot <dir>.',
      'import.copilot',
    );
  }
  const manifests = async (dir: string) => {
    const names = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
    const found = await Promise.all(names.map(async (n) => ((await isFile(path.join(dir, n, 'manifest.yml'))) ? n : undefined)));
    return found.filter((n): n is string => n !== undefined && n !== 'environments' && n !== 'pipelines').sort();
  };
  const read = (rel: string) => readYaml(path.join(copilot, rel), `copilot/${rel}`);
  return {
    workspace: await read('.workspace'),
    services: await Promise.all((await manifests(copilot)).map(async (dir) => ({ dir, manifest: await read(`${dir}/manifest.yml`) }))),
    environments: await Promise.all(
      (await manifests(path.join(copilot, 'environments'))).map(async (dir) => ({
        dir,
        manifest: await read(`environments/${dir}/manifest.yml`),
      })),
    ),
  };
}

function configText(config: Record<string, unknown>, app: string, unmapped: readonly Unmapped[]): string {
  const header = [
    schemaModeline(),
    `ecs-kit.yml imported from the AWS Copilot app "${app}" by \`ecs-kit import copilot\`.`,
    'Review it, then run `ecs-kit plan` to see what deploy would create and what it costs.',
    ...(unmapped.length
      ? ['', `Not mapped (${unmapped.length}); each with what to do:`, ...unmapped.map((u) => `- ${u.field}: ${u.todo}`)]
      : []),
  ];
  return `${header.map((l) => (l ? `# ${l}` : '#')).join('\n')}\n\n${stringify(config, { lineWidth: 0 })}`;
}

/** The imported config fails ecs-kit's loader (for --env `env`): nothing is written. */
function invalid(err: ConfigError, env: string | undefined): EcsKitError {
  return new EcsKitError(
    'import.invalid',
    `The imported config would not be valid${env ? ` for --env ${env}` : ''}, so nothing was written:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`,
    {
      fix: 'Change the Copilot manifest fields behind the paths named above (or edit the result by hand after importing a fixed copy).',
      exitCode: ExitCode.Usage,
    },
  );
}

/** Writes ecs-kit.yml from a Copilot workspace; reads local files only. Returns the exit code. */
export async function runImportCopilot(opts: ImportCopilotOptions, io: Io, reporter: Reporter): Promise<number> {
  const root = path.resolve(io.cwd, opts.dir ?? '.');
  const file = opts.config !== undefined ? path.resolve(io.cwd, opts.config) : path.join(root, 'ecs-kit.yml');
  const shown = path.relative(io.cwd, file) || file;
  if (!opts.force && (await stat(file).catch(() => undefined)))
    throw new UsageError(
      `${shown} already exists; the import did not change it.`,
      'Pass --force to overwrite it, or --config PATH to write elsewhere.',
      'import.exists',
    );
  const ws = await readWorkspace(root);
  // Copilot's paths are from the workspace root; ecs-kit's from the config file's folder.
  const toConfig = (p: string) => path.relative(path.dirname(file), path.resolve(root, p)) || '.';
  const result = mapCopilot(ws, toConfig, opts.env === 'default' ? undefined : opts.env);
  const app = String(result.config.app);
  const text = configText(result.config, app, result.unmapped);
  // ecs-kit's own loader must accept it as the base and for every environment it has overrides for (--env <name>).
  for (const env of [undefined, ...result.environments]) {
    try {
      parseConfigText(text, shown, env === undefined ? {} : { env });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw invalid(err, env);
    }
  }
  await writeFile(file, text, { encoding: 'utf8', flag: opts.force ? 'w' : 'wx' });
  for (const u of result.unmapped) reporter.emit({ type: 'warn', code: 'import.unmapped', message: `${u.field}: ${u.todo}` });
  const services = Object.keys(result.config.services as object);
  reporter.emit({
    type: 'info',
    code: 'import.written',
    message: `Wrote ${shown} for ${app}: ${services.length} service(s) (${services.join(', ')})${result.baseEnvironment ? `, network from environment ${result.baseEnvironment}` : ''}${result.environments.length ? `, overrides for ${result.environments.map((e) => `--env ${e}`).join(', ')}` : ''}; ${result.unmapped.length} field(s) not mapped, listed above and at the top of the file. Next: ecs-kit plan`,
  });
  reporter.emit({ type: 'output', name: 'config', value: shown });
  return ExitCode.Ok;
}
