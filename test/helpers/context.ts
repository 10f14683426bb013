import { AwsClients } from '../../src/aws/clients.js';
import { parseConfigText } from '../../src/config/load.js';
import { namesFor } from '../../src/config/names.js';
import type { Config } from '../../src/config/schema.js';
import type { DockerCli } from '../../src/docker/cli.js';
import type { WarningCode } from '../../src/engine/messages.js';
import {
  DEFAULT_RUN_OPTIONS,
  PendingDependency,
  instanceId,
  type StepContext,
  type StepModule,
  type StepRef,
} from '../../src/engine/types.js';

export const BASE_CONFIG = `
app: shop
services:
  web:
    image: nginx:1.27
    port: 80
`;

export function config(yamlText = BASE_CONFIG): Config {
  return parseConfigText(yamlText);
}

export interface FakeDocker extends DockerCli {
  calls: string[][];
}

export function fakeDocker(): FakeDocker {
  const calls: string[][] = [];
  return {
    calls,
    build: async (o) => void calls.push(['build', o.tag]),
    tag: async (a, b) => void calls.push(['tag', a, b]),
    login: async (r, u) => void calls.push(['login', r, u]),
    push: async (ref) => void calls.push(['push', ref]),
  };
}

/**
 * A StepContext for unit tests. `deps` are the states of the step's dependencies; a
 * missing one behaves as "not created yet" (PendingDependency), like during planning.
 * Warnings are recorded twice over: their texts in `warnings`, their codes (same order) in `warningCodes`.
 */
export function stepContext<S extends object>(
  module: StepModule<S>,
  opts: { config?: Config; scope?: string; previous?: S; deps?: Record<string, object>; docker?: DockerCli; baseDir?: string } = {},
): StepContext<S> & { messages: string[]; warnings: string[]; warningCodes: WarningCode[]; recorded: S[] } {
  const cfg = opts.config ?? config();
  const recorded: S[] = [];
  const messages: string[] = [];
  const warnings: string[] = [];
  const warningCodes: WarningCode[] = [];
  const aws = new AwsClients({ region: 'us-east-1', maxAttempts: 1 });
  return {
    id: instanceId(module.kind, opts.scope),
    kind: module.kind,
    scope: opts.scope,
    owner: { app: cfg.app, env: 'default' },
    region: 'us-east-1',
    account: '123456789012',
    config: cfg,
    service: opts.scope ? cfg.services[opts.scope] : undefined,
    names: namesFor(cfg.app, 'default'),
    aws,
    docker: opts.docker ?? fakeDocker(),
    previous: opts.previous,
    baseDir: opts.baseDir ?? process.cwd(),
    ownFiles: [],
    dep: <T extends object>(step: StepRef<T>, scope?: string) => {
      const id = instanceId(step.kind, scope);
      const s = opts.deps?.[id];
      if (!s) throw new PendingDependency(id);
      return s as T;
    },
    record: async (s) => void recorded.push(s),
    progress: (m) => void messages.push(m),
    warn: (code, m) => {
      warningCodes.push(code);
      warnings.push(m);
    },
    options: { ...DEFAULT_RUN_OPTIONS, pollIntervalMs: 1, timeoutMs: 50, destroyRetryMs: 50, propagationRetryMs: 50 },
    signal: new AbortController().signal,
    messages,
    warnings,
    warningCodes,
    recorded,
  };
}

export const OWNER_TAGS_ECS = [
  { key: 'ecs-kit:app', value: 'shop' },
  { key: 'ecs-kit:env', value: 'default' },
];
export const OWNER_TAGS = [
  { Key: 'ecs-kit:app', Value: 'shop' },
  { Key: 'ecs-kit:env', Value: 'default' },
];
