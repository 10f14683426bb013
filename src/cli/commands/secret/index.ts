import { readFile, writeFile } from 'node:fs/promises';
import { ListTagsForResourceCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { parseDocument } from 'yaml';
import type { AwsClients } from '../../../aws/clients.js';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import { isOwnedBy, ownerTags } from '../../../aws/tags.js';
import { isEnvVarName } from '../../../config/env-vars.js';
import { loadConfig, resolveConfigPath } from '../../../config/load.js';
import type { Config } from '../../../config/schema.js';
import type { Reporter } from '../../../engine/events.js';
import type { Manifest, ManifestStore } from '../../../engine/manifest.js';
import { EcsKitError, ExitCode, UsageError } from '../../../errors.js';
import { isManagedReference, managedParameterName, parseSecretRef } from '../../../security/refs.js';
import { PARAMETERS_STEP_ID, type ParametersState } from '../../../steps/secrets/index.js';
import { isInteractive, type GlobalOptions, type Io } from '../../options.js';
import { checkEnvName, openRun, saveStepEntry } from '../../run-context.js';

/** SSM standard-tier parameters hold up to 4 KB; larger values need the paid advanced tier. */
const MAX_VALUE_BYTES = 4096;

export interface SecretSetOptions extends GlobalOptions {
  service: string;
  name: string;
}

/** Reads the secret value without it ever being an argument (argv leaks into `ps` and shell history). */
export type ValueReader = () => Promise<string>;

function checkVariable(name: string): void {
  if (!isEnvVarName(name)) {
    throw new UsageError(
      `NAME: "${name}" is not a valid environment variable name.`,
      'Use letters, digits and _, not starting with a digit, e.g. DB_PASSWORD.',
      'secret.name',
    );
  }
  if (name.startsWith('AWS_') || name.startsWith('ECS_')) {
    throw new UsageError(
      `NAME: ${name} starts with AWS_ or ECS_, which the ECS agent reserves.`,
      'Choose another name, e.g. APP_' + name.slice(4) + '.',
      'secret.name',
    );
  }
}

/**
 * Which parameter `secret set` writes: /ecs-kit/<app>/<env>/NAME, or the /<app>/<env>/NAME an older
 * ecs-kit created when the config already references that one (so the reference keeps working).
 */
function parameterFor(config: Config, env: string, service: string, name: string): string {
  const svc = config.services[service];
  if (!svc) {
    throw new UsageError(
      `SERVICE: "${service}" is not a service in the config.`,
      `Use one of: ${Object.keys(config.services).join(', ')}.`,
      'secret.service',
    );
  }
  if (name in svc.environment) {
    throw new UsageError(
      `services.${service}.environment.${name} is a plain environment variable.`,
      `Remove ${name} from environment first; a variable comes either from environment or from secrets.`,
      'secret.conflict',
    );
  }
  const existing = svc.secrets[name];
  const legacy = existing !== undefined && isManagedReference(existing, config.app, env, name);
  const parameter = legacy ? existing.slice('ssm:'.length) : managedParameterName(config.app, env, name);
  if (existing !== undefined && existing !== `ssm:${parameter}`) {
    throw new UsageError(
      `services.${service}.secrets.${name} already points at ${existing}.`,
      `Change that secret where it lives, or remove the reference from the config and run secret set again.`,
      'secret.conflict',
    );
  }
  // The same name rules as a hand-written reference (SSM: at most 1011 characters, 15 levels).
  const check = parseSecretRef(`ssm:${parameter}`);
  if ('problem' in check) {
    throw new UsageError(
      `NAME: ${name} gives the parameter name ${parameter}: ${check.problem}.`,
      'Choose a shorter variable name.',
      'secret.name',
    );
  }
  return parameter;
}

/** Drops one trailing newline (from `echo` or a file) but keeps everything else exactly. */
function trimValue(raw: string): string {
  return raw.replace(/\r?\n$/, '');
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function defaultValueReader(opts: GlobalOptions, io: Io, name: string): ValueReader {
  return async () => {
    if (!io.stdin.isTTY) return trimValue(await readAll(io.stdin));
    if (!isInteractive(opts, io)) {
      throw new UsageError(
        `secret set needs the value of ${name}, and this session cannot prompt (--yes, --json or CI=true).`,
        `Pipe it on stdin, e.g. printf %s "$${name}" | ecs-kit secret set SERVICE ${name}`,
        'secret.value',
      );
    }
    const { password } = await import('@inquirer/prompts');
    try {
      return await password({ message: `Value for ${name} (hidden):`, mask: false }, { output: io.stderr });
    } catch (err) {
      const n = (err as Error)?.name;
      if (n === 'ExitPromptError' || n === 'AbortPromptError')
        throw new EcsKitError('aborted', 'Cancelled; nothing was changed.', { exitCode: ExitCode.Aborted });
      throw err;
    }
  };
}

/** Adds `NAME: ssm:/ecs-kit/<app>/<env>/NAME` under the service, keeping the file's comments and layout. */
async function addReferenceToConfig(file: string, service: string, name: string, ref: string): Promise<boolean> {
  const text = await readFile(file, 'utf8');
  if (file.endsWith('.json')) {
    const raw = JSON.parse(text) as { services: Record<string, { secrets?: Record<string, string> }> };
    const svc = raw.services[service]!;
    if (svc.secrets?.[name] === ref) return false;
    svc.secrets = { ...(svc.secrets ?? {}), [name]: ref };
    await writeFile(file, `${JSON.stringify(raw, null, 2)}\n`);
    return true;
  }
  const doc = parseDocument(text);
  if (doc.getIn(['services', service, 'secrets', name]) === ref) return false;
  doc.setIn(['services', service, 'secrets', name], ref);
  await writeFile(file, doc.toString());
  return true;
}

export async function runSecretSet(opts: SecretSetOptions, io: Io, reporter: Reporter, readValue?: ValueReader): Promise<number> {
  // Everything that can be wrong with the input fails here, before the value is read or AWS is called.
  checkEnvName(opts.env);
  checkVariable(opts.name);
  const configFile = resolveConfigPath(io.cwd, opts.config);
  const { config } = await loadConfig(configFile, { env: opts.env, vars: io.env });
  const parameter = parameterFor(config, opts.env, opts.service, opts.name);

  const value = await (readValue ?? defaultValueReader(opts, io, opts.name))();
  if (value.length === 0) throw new UsageError(`The value for ${opts.name} is empty.`, 'Pipe or type a non-empty value.', 'secret.value');
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) {
    throw new UsageError(
      `The value for ${opts.name} is larger than 4 KB, the limit of a standard SSM parameter.`,
      'Store large secrets in Secrets Manager and reference them with secretsmanager:NAME.',
      'secret.value',
    );
  }

  // 'deploy' takes the same lock: secret set writes the manifest too.
  const run = await openRun(opts, io, reporter, 'deploy', {});
  try {
    const created = await putSecret(run.aws, { config, env: opts.env, service: opts.service, name: opts.name, parameter, value });
    await recordParameter(run, parameter);
    const changed = await addReferenceToConfig(configFile, opts.service, opts.name, `ssm:${parameter}`);
    reporter.emit({
      type: 'info',
      code: 'secret.stored',
      message: `${created ? 'Stored' : 'Updated'} ${opts.name} for ${opts.service} as the SSM SecureString ${parameter} (value not shown).${changed ? ` Added ${opts.name}: ssm:${parameter} to the config.` : ''} Run ecs-kit deploy to roll it out.`,
    });
    reporter.emit({ type: 'output', name: opts.name, value: `ssm:${parameter}` });
    reporter.emit({
      type: 'run.done',
      command: 'secret set',
      outcome: 'applied',
      durationMs: 0,
      calls: run.counter.calls,
      mutatingCalls: run.counter.mutating,
    });
    return ExitCode.Ok;
  } finally {
    run.aws.destroy();
    await run.store.releaseLock();
  }
}

/**
 * Stores the value as a SecureString (the service's KMS key when it names one). Returns false when
 * it overwrote a parameter, which ecs-kit only does to one it created for this app and env.
 */
async function putSecret(
  aws: AwsClients,
  s: { config: Config; env: string; service: string; name: string; parameter: string; value: string },
): Promise<boolean> {
  const ssm = aws.ssm();
  const owner = { app: s.config.app, env: s.env };
  const kmsKeyId = s.config.services[s.service]!.kmsKeyArn;
  const base = { Name: s.parameter, Value: s.value, Type: 'SecureString' as const, ...(kmsKeyId ? { KeyId: kmsKeyId } : {}) };
  try {
    const description = `ecs-kit: ${s.name} for ${s.service} in ${s.config.app}/${s.env}`;
    await ssm.send(new PutParameterCommand({ ...base, Description: description, Tags: ownerTags(owner) }));
    return true;
  } catch (err) {
    if (!isAwsError(err, 'ParameterAlreadyExists')) throw explainAwsError(err, `storing ${s.parameter}`);
  }
  const tags = (await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: s.parameter }))).TagList;
  if (!isOwnedBy(tags, owner)) {
    const message = `An SSM parameter named ${s.parameter} already exists and was not created by ecs-kit for ${s.config.app}/${s.env}.`;
    throw new EcsKitError('secret.not-owned', message, {
      why: 'ecs-kit only changes parameters it created, so it did not overwrite it.',
      fix: `Reference it directly with ${s.name}: "ssm:${s.parameter}" in the config, or delete it yourself.`,
    });
  }
  // SSM refuses Tags together with Overwrite; the tags are already there.
  await ssm.send(new PutParameterCommand({ ...base, Overwrite: true })).catch((e: unknown) => {
    throw explainAwsError(e, `updating ${s.parameter}`);
  });
  return false;
}

/** Adds the parameter to the secrets step's entry in the manifest, so teardown deletes it. */
async function recordParameter(run: { store: ManifestStore; manifest: Manifest }, parameter: string): Promise<void> {
  const entry = run.manifest.steps[PARAMETERS_STEP_ID];
  const recorded = new Set((entry?.state as ParametersState | undefined)?.parameters ?? []);
  if (recorded.has(parameter)) return;
  recorded.add(parameter);
  await saveStepEntry(run, PARAMETERS_STEP_ID, { kind: 'parameters', dependsOn: [], state: { parameters: [...recorded].sort() } });
}

interface SecretListRow {
  service: string;
  name: string;
  store: 'SSM Parameter Store' | 'Secrets Manager' | 'invalid';
  reference: string;
  managed: boolean;
}

/** Names and where each secret lives, from the config alone: no AWS call, never a value. */
function listSecrets(config: Config, env: string): SecretListRow[] {
  const rows: SecretListRow[] = [];
  for (const [service, svc] of Object.entries(config.services)) {
    for (const name of Object.keys(svc.secrets).sort()) {
      const reference = svc.secrets[name]!;
      const ref = parseSecretRef(reference);
      rows.push({
        service,
        name,
        store: 'problem' in ref ? 'invalid' : ref.kind === 'ssm' ? 'SSM Parameter Store' : 'Secrets Manager',
        reference,
        managed: isManagedReference(reference, config.app, env, name),
      });
    }
  }
  return rows;
}

export async function runSecretList(opts: GlobalOptions, io: Io, reporter: Reporter): Promise<number> {
  checkEnvName(opts.env);
  const { config } = await loadConfig(resolveConfigPath(io.cwd, opts.config), { env: opts.env, vars: io.env });
  const rows = listSecrets(config, opts.env);
  if (rows.length === 0) {
    reporter.emit({ type: 'info', code: 'secret.none', message: 'No service has secrets. Add one with: ecs-kit secret set SERVICE NAME' });
    return ExitCode.Ok;
  }
  for (const r of rows) {
    reporter.emit({
      type: 'output',
      name: `${r.service}.${r.name}`,
      value: `${r.reference} (${r.store}${r.managed ? ', created by ecs-kit secret set' : ''})`,
    });
  }
  return ExitCode.Ok;
}
