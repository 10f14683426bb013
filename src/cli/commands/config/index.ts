import { stringify } from 'yaml';
import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import type { Reporter } from '../../../engine/events.js';
import { ExitCode } from '../../../errors.js';
import type { GlobalOptions, Io } from '../../options.js';
import { checkEnvName } from '../../run-context.js';

/**
 * `ecs-kit config [--env X]`: the config a deploy of that environment would use, as YAML (JSON with --json): the
 * environment's overrides merged in, ${VAR}s filled from the environment, every default written out. Secrets are
 * references in the config, never values, so this prints none. Makes no AWS call.
 */
export async function runConfig(opts: GlobalOptions, io: Io, _reporter: Reporter): Promise<number> {
  checkEnvName(opts.env);
  const { config } = await loadConfig(resolveConfigPath(io.cwd, opts.config), { env: opts.env, vars: io.env });
  const { environments: _resolved, ...effective } = config;
  io.stdout.write(
    opts.json ? `${JSON.stringify(effective, null, 2)}\n` : `# ecs-kit config --env ${opts.env}\n${stringify(effective, { lineWidth: 0 })}`,
  );
  return ExitCode.Ok;
}
