import { DeleteParameterCommand, ListTagsForResourceCommand } from '@aws-sdk/client-ssm';
import { isAwsError } from '../../aws/errors.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { isOwnedBy } from '../../aws/tags.js';
import { isEnvVarName } from '../../config/env-vars.js';
import type { Config, ServiceConfig } from '../../config/schema.js';
import { after, type StepModule, type StepPlan } from '../../engine/types.js';
import { EcsKitError, ExitCode } from '../../errors.js';
import {
  executionSecretsPolicy,
  managedParameterName,
  parseSecretRef,
  type PolicyDocument,
  type ResolvedSecret,
} from '../../security/refs.js';
import { allMissing, resolveSecret } from '../../security/secrets.js';
import { partitionOf } from '../../aws/partition.js';
import { parameterPermissions, secretMetadataReads } from './permissions.js';

/**
 * Where each of a service's secrets lives, resolved to ARNs. Metadata only — the
 * manifest, events and plan never hold a secret's value.
 */
export interface SecretsState {
  /** Variable name → the task definition's valueFrom. */
  secrets: Record<string, string>;
  /** The ARNs the execution role may read, with their store. */
  resources: { store: 'ssm' | 'secretsmanager'; arn: string }[];
  kmsKeyArn?: string;
}

/** SSM parameters `ecs-kit secret set` created (recorded so teardown deletes only those). */
export interface ParametersState {
  parameters: string[];
}

export function hasSecrets(svc: ServiceConfig | undefined): boolean {
  return Object.keys(svc?.secrets ?? {}).length > 0;
}

/** The services with secrets: each has a secrets step (`after(secretsStep, service)`), and the shared execution role reads them all. */
export function servicesWithSecrets(config: Config): string[] {
  return Object.entries(config.services)
    .filter(([, svc]) => hasSecrets(svc))
    .map(([name]) => name);
}

/** The execution role's inline policy, from every service's resolved secrets. */
export function executionPolicyFor(states: readonly SecretsState[]): PolicyDocument | undefined {
  const resolved: ResolvedSecret[] = states.flatMap((s) =>
    s.resources.map((r) => ({ store: r.store, resourceArn: r.arn, valueFrom: r.arn })),
  );
  return executionSecretsPolicy(
    resolved,
    states.flatMap((s) => (s.kmsKeyArn ? [s.kmsKeyArn] : [])),
  );
}

/**
 * A read-only preflight per service: every referenced secret must exist before anything
 * changes. It creates nothing, so its plan is always "noop" with the resolved ARNs.
 */
export const secretsStep: StepModule<SecretsState, never> = {
  kind: 'secrets',
  title: (scope) => `Secrets (${scope})`,
  // The secrets are the user's: nothing is created.
  resourceKinds: [],
  permissions: secretMetadataReads,
  instances: (config) => servicesWithSecrets(config).map((scope) => ({ scope, dependsOn: [] })),

  async plan(ctx): Promise<StepPlan<SecretsState, never>> {
    const service = ctx.scope!;
    const svc = ctx.service;
    const state: SecretsState = { secrets: {}, resources: [] };
    const target = { partition: partitionOf(ctx.region), region: ctx.region, account: ctx.account };
    // Every missing secret is reported at once (with the command that creates each), not one per run.
    const missing: EcsKitError[] = [];
    for (const variable of Object.keys(svc?.secrets ?? {}).sort()) {
      const ref = parseSecretRef(svc!.secrets[variable]!);
      if ('problem' in ref) {
        throw new EcsKitError('secret.reference', `services.${service}.secrets.${variable}: ${ref.problem}.`, { exitCode: ExitCode.Usage });
      }
      const resolved = await resolveSecret(ctx.aws, target, service, variable, ref, ctx.warn).catch((err: unknown) => {
        if (!(err instanceof EcsKitError && err.code === 'secret.missing')) throw err;
        missing.push(err);
        return undefined;
      });
      if (!resolved) continue;
      state.secrets[variable] = resolved.valueFrom;
      if (!state.resources.some((r) => r.arn === resolved.resourceArn))
        state.resources.push({ store: resolved.store, arn: resolved.resourceArn });
    }
    if (missing.length > 0) throw allMissing(missing);
    state.resources.sort((a, b) => a.arn.localeCompare(b.arn));
    if (svc?.kmsKeyArn) state.kmsKeyArn = svc.kmsKeyArn;
    return { action: 'noop', changes: [], current: state };
  },

  async apply(_ctx, plan): Promise<SecretsState> {
    return plan.current!;
  },

  // The secrets belong to the user; nothing to delete.
  async destroy(): Promise<void> {},
};

/** Whether this config references any SSM parameter (`secret set` writes ssm: references). */
function referencesSsm(config: Config): boolean {
  return Object.values(config.services).some((svc) =>
    Object.values(svc.secrets ?? {}).some((r) => r.startsWith('ssm:') || r.includes(':ssm:')),
  );
}

/**
 * Keeps the record of the SSM parameters `ecs-kit secret set` created, so teardown deletes
 * them (and only them). `secret set` writes the record; deploy carries it forward.
 */
export const parametersStep: StepModule<ParametersState, never> = {
  kind: 'parameters',
  title: () => 'SSM parameters created by ecs-kit',
  // `secret set` creates them; this step records them and deletes them on teardown.
  resourceKinds: ['ssm:parameter'],
  permissions: parameterPermissions,
  instances: (config) => (referencesSsm(config) ? [{ dependsOn: [] }] : []),

  async plan(ctx): Promise<StepPlan<ParametersState, never>> {
    // References under ecs-kit's own /ecs-kit/<app>/<env>/ root are `secret set`'s even when the record is
    // lost with the manifest; destroy still deletes only what the tags say ecs-kit created. No AWS call.
    const root = managedParameterName(ctx.owner.app, ctx.owner.env, '');
    const referenced = Object.values(ctx.config?.services ?? {})
      .flatMap((svc) => Object.values(svc.secrets ?? {}))
      .filter((r) => r.startsWith(`ssm:${root}`) && isEnvVarName(r.slice(`ssm:${root}`.length)))
      .map((r) => r.slice('ssm:'.length));
    const parameters = [...new Set([...(ctx.previous?.parameters ?? []), ...referenced])].sort();
    return { action: 'noop', changes: [], current: { parameters } };
  },

  async apply(_ctx, plan): Promise<ParametersState> {
    return plan.current!;
  },

  async destroy(ctx, state): Promise<void> {
    const ssm = ctx.aws.ssm();
    for (const name of state.parameters ?? []) {
      let tags;
      try {
        tags = (await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }))).TagList;
      } catch (err) {
        if (isAwsError(err, 'InvalidResourceId', 'ParameterNotFound')) continue;
        throw err;
      }
      if (!isOwnedBy(tags, ctx.owner)) {
        warnLeftInPlace(ctx, `SSM parameter ${name}`);
        continue;
      }
      ctx.progress(`deleting SSM parameter ${name}`);
      try {
        await ssm.send(new DeleteParameterCommand({ Name: name }));
      } catch (err) {
        if (!isAwsError(err, 'ParameterNotFound')) throw err;
      }
    }
  },
};

/** The manifest entry of the parameters step (what `ecs-kit secret set` updates). */
export const PARAMETERS_STEP_ID = after(parametersStep);
