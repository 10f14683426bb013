import {
  CreateHttpNamespaceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  NamespaceAlreadyExists,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { namespaceStep } from '../../../src/steps/namespace/index.js';
import { commandNames, strict } from '../../helpers/aws-mock.js';
import { OWNER_TAGS, config, stepContext } from '../../helpers/context.js';

const sd = mockClient(ServiceDiscoveryClient);
beforeEach(() => {
  sd.reset();
  strict(sd);
});

const YAML = `app: shop
services:
  web: { image: nginx, port: 80 }
  api: { image: api:1, port: 8080, internal: true }
`;
const ARN = 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-1';
const SUMMARY = { Id: 'ns-1', Arn: ARN, Name: 'shop-default', Type: 'HTTP' as const };
const ctxFor = () => stepContext(namespaceStep, { config: config(YAML) });
const STATE = { namespaceId: 'ns-1', namespaceArn: ARN, namespaceName: 'shop-default' };

describe('namespace step', () => {
  it('exists only for a config with an internal service', () => {
    expect(namespaceStep.instances(config(YAML))).toEqual([{ dependsOn: [] }]);
    expect(namespaceStep.instances(config('app: shop\nservices:\n  web: { image: nginx, port: 80 }\n'))).toEqual([]);
  });

  it('creates a tagged HTTP namespace and follows Cloud Map’s operation to its end', async () => {
    sd.on(ListNamespacesCommand).resolves({ Namespaces: [] });
    sd.on(CreateHttpNamespaceCommand).resolves({ OperationId: 'op-1' });
    sd.on(GetOperationCommand)
      .resolvesOnce({ Operation: { Id: 'op-1', Status: 'PENDING' } })
      .resolves({ Operation: { Id: 'op-1', Status: 'SUCCESS', Targets: { NAMESPACE: 'ns-1' } } });
    sd.on(GetNamespaceCommand, { Id: 'ns-1' }).resolves({ Namespace: { Id: 'ns-1', Arn: ARN } });
    const ctx = ctxFor();
    ctx.options.propagationRetryMs = 5_000;
    const plan = await namespaceStep.plan(ctx);
    expect(plan.action).toBe('create');
    expect(await namespaceStep.apply(ctx, plan)).toEqual(STATE);
    expect(sd.commandCalls(CreateHttpNamespaceCommand)[0]!.args[0].input).toMatchObject({ Name: 'shop-default', Tags: OWNER_TAGS });
    expect(sd.commandCalls(GetOperationCommand)).toHaveLength(2);
  });

  it('adopts the namespace a run whose response was lost created', async () => {
    sd.on(ListNamespacesCommand)
      .resolvesOnce({ Namespaces: [] })
      .resolves({ Namespaces: [SUMMARY] });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
    sd.on(CreateHttpNamespaceCommand).rejects(new NamespaceAlreadyExists({ message: 'exists', $metadata: {} }));
    sd.on(GetNamespaceCommand, { Id: 'ns-1' }).resolves({ Namespace: { Id: 'ns-1', Arn: ARN } });
    const ctx = ctxFor();
    expect(await namespaceStep.apply(ctx, await namespaceStep.plan(ctx))).toEqual(STATE);
  });

  it('plans no change when it exists, and refuses one of that name another app owns', async () => {
    sd.on(ListNamespacesCommand).resolves({ Namespaces: [SUMMARY] });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
    expect(await namespaceStep.plan(ctxFor())).toEqual({ action: 'noop', changes: [], current: STATE });
    expect(commandNames(sd)).toEqual(['ListNamespaces', 'ListTagsForResource']);

    sd.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'ecs-kit:app', Value: 'other' }] });
    await expect(namespaceStep.plan(ctxFor())).rejects.toMatchObject({ code: 'namespace.not-owned' });
  });

  it('deletes the Cloud Map services Service Connect made in it, then the namespace', async () => {
    sd.on(GetNamespaceCommand).resolves({ Namespace: { Id: 'ns-1', Arn: ARN } });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: OWNER_TAGS });
    sd.on(ListServicesCommand).resolves({ Services: [{ Id: 'srv-api' }] });
    sd.on(DeleteServiceCommand).resolves({});
    sd.on(DeleteNamespaceCommand).resolves({ OperationId: 'op-2' });
    sd.on(GetOperationCommand).resolves({ Operation: { Id: 'op-2', Status: 'SUCCESS' } });
    await namespaceStep.destroy(ctxFor(), STATE);
    expect(commandNames(sd)).toEqual([
      'GetNamespace',
      'ListTagsForResource',
      'ListServices',
      'DeleteService',
      'DeleteNamespace',
      'GetOperation',
    ]);
    expect(sd.commandCalls(ListServicesCommand)[0]!.args[0].input).toMatchObject({
      Filters: [{ Name: 'NAMESPACE_ID', Values: ['ns-1'], Condition: 'EQ' }],
    });
  });

  it('leaves a namespace it does not own in place, with a warning', async () => {
    sd.on(GetNamespaceCommand).resolves({ Namespace: { Id: 'ns-1', Arn: ARN } });
    sd.on(ListTagsForResourceCommand).resolves({ Tags: [] });
    const ctx = ctxFor();
    await namespaceStep.destroy(ctx, STATE);
    expect(commandNames(sd)).toEqual(['GetNamespace', 'ListTagsForResource']);
    expect(ctx.warnings).toHaveLength(1);
  });
});
