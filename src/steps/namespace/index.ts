import { randomUUID } from 'node:crypto';
import {
  CreateHttpNamespaceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  ListTagsForResourceCommand,
  paginateListNamespaces,
  paginateListServices,
  type NamespaceSummary,
} from '@aws-sdk/client-servicediscovery';
import { isAwsError } from '../../aws/errors.js';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { sleep } from '../../aws/retry.js';
import { isOwnedBy, ownerTags } from '../../aws/tags.js';
import { hasInternalServices } from '../../config/services.js';
import type { StepContext, StepModule, StepPlan } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { namespacePermissions } from './permissions.js';

/** The Cloud Map namespace the app/env's ECS Service Connect lives in: http://<service>:<port> resolves inside it. */
export interface NamespaceState {
  namespaceId: string;
  namespaceArn: string;
  namespaceName: string;
}

type Ctx = StepContext<NamespaceState>;

async function findNamespace(ctx: Ctx, name: string): Promise<NamespaceSummary | undefined> {
  const sd = ctx.aws.serviceDiscovery();
  for await (const page of paginateListNamespaces({ client: sd }, {})) {
    const found = page.Namespaces?.find((n) => n.Name === name && n.Type === 'HTTP');
    if (found) {
      const tags = (await sd.send(new ListTagsForResourceCommand({ ResourceARN: found.Arn }))).Tags;
      if (!isOwnedBy(tags, ctx.owner)) throw notOwnedError('namespace.not-owned', `A Cloud Map namespace named ${name}`, ctx.owner);
      return found;
    }
  }
  return undefined;
}

/** Cloud Map creates and deletes namespaces asynchronously: follow the operation to its end (bounded). */
async function waitForOperation(ctx: Ctx, operationId: string, what: string): Promise<string | undefined> {
  const deadline = Date.now() + ctx.options.propagationRetryMs;
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    const op = (await ctx.aws.serviceDiscovery().send(new GetOperationCommand({ OperationId: operationId }))).Operation;
    if (op?.Status === 'SUCCESS') return op.Targets?.NAMESPACE;
    if (op?.Status === 'FAIL' || Date.now() > deadline) {
      throw new EcsKitError(
        'namespace.operation',
        `Cloud Map did not finish ${what} (operation ${operationId}: ${op?.Status ?? 'unknown'}).`,
        {
          why: op?.ErrorMessage ?? 'The operation was still running when the wait ended.',
          fix: 'Run the command again; it resumes where it stopped.',
        },
      );
    }
    ctx.progress(`waiting for Cloud Map: ${what}`);
    await sleep(delay, ctx.signal);
  }
}

export const namespaceStep: StepModule<NamespaceState, never> = {
  kind: 'namespace',
  title: () => 'Service Connect namespace',
  resourceKinds: ['servicediscovery:namespace'],
  permissions: namespacePermissions,
  instances: (config) => (hasInternalServices(config) ? [{ dependsOn: [] }] : []),

  async plan(ctx): Promise<StepPlan<NamespaceState, never>> {
    const name = ctx.names.namespace;
    const found = await findNamespace(ctx, name);
    if (!found) return { action: 'create', changes: [{ field: 'namespace', after: `${name} (Cloud Map, HTTP)` }] };
    return { action: 'noop', changes: [], current: { namespaceId: found.Id ?? '', namespaceArn: found.Arn ?? '', namespaceName: name } };
  },

  async apply(ctx): Promise<NamespaceState> {
    const name = ctx.names.namespace;
    const sd = ctx.aws.serviceDiscovery();
    ctx.progress(`creating Cloud Map namespace ${name}`);
    let id: string | undefined;
    try {
      // One CreatorRequestId per call: the SDK's own retries of it are the same request, never a second namespace.
      const op = await sd.send(
        new CreateHttpNamespaceCommand({
          Name: name,
          CreatorRequestId: randomUUID(),
          Tags: ownerTags(ctx.owner),
          Description: `ecs-kit ${ctx.owner.app}/${ctx.owner.env}`,
        }),
      );
      id = op.OperationId ? await waitForOperation(ctx, op.OperationId, `creating namespace ${name}`) : undefined;
    } catch (err) {
      // Made by a run whose response was lost: adopt it, if it is ours.
      if (!isAwsError(err, 'NamespaceAlreadyExists')) throw err;
    }
    id ??= (await findNamespace(ctx, name))?.Id;
    const ns = (await sd.send(new GetNamespaceCommand({ Id: id }))).Namespace;
    return { namespaceId: ns?.Id ?? id ?? '', namespaceArn: ns?.Arn ?? '', namespaceName: name };
  },

  async destroy(ctx, state): Promise<void> {
    const sd = ctx.aws.serviceDiscovery();
    let ns;
    try {
      ns = (await sd.send(new GetNamespaceCommand({ Id: state.namespaceId }))).Namespace;
    } catch (err) {
      if (isAwsError(err, 'NamespaceNotFound')) return;
      throw err;
    }
    const tags = (await sd.send(new ListTagsForResourceCommand({ ResourceARN: ns?.Arn ?? state.namespaceArn }))).Tags;
    if (!isOwnedBy(tags, ctx.owner)) {
      warnLeftInPlace(ctx, `Cloud Map namespace ${state.namespaceName}`);
      return;
    }
    // Service Connect made a Cloud Map service per internal service in our namespace; the namespace goes only once they do.
    const filter = { Filters: [{ Name: 'NAMESPACE_ID' as const, Values: [state.namespaceId], Condition: 'EQ' as const }] };
    for await (const page of paginateListServices({ client: sd }, filter)) {
      for (const s of page.Services ?? []) {
        await sd.send(new DeleteServiceCommand({ Id: s.Id })).catch((err: unknown) => {
          if (!isAwsError(err, 'ServiceNotFound')) throw err;
        });
      }
    }
    try {
      const op = await sd.send(new DeleteNamespaceCommand({ Id: state.namespaceId }));
      if (op.OperationId) await waitForOperation(ctx, op.OperationId, `deleting namespace ${state.namespaceName}`);
    } catch (err) {
      if (!isAwsError(err, 'NamespaceNotFound')) throw err;
    }
  },
};
