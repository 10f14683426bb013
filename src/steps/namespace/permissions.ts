import type { PolicyContext } from '../../security/policy-context.js';
import { unscoped, type Statement } from '../../security/statements.js';

/**
 * The Cloud Map HTTP namespace of Service Connect. Cloud Map scopes namespace and service actions by ARN (ids it
 * makes up), so changes are limited to resources tagged for this app; creates, lists and operations cannot be scoped.
 */
export function namespacePermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped([
      'servicediscovery:ListNamespaces',
      'servicediscovery:ListServices',
      'servicediscovery:GetOperation',
      'servicediscovery:CreateHttpNamespace',
      'servicediscovery:TagResource',
    ]),
    {
      Sid: 'OwnNamespace',
      Effect: 'Allow',
      Action: ['servicediscovery:GetNamespace', 'servicediscovery:ListTagsForResource', 'servicediscovery:DeleteNamespace'],
      Resource: ctx.arn('servicediscovery', 'namespace/*'),
      Condition: { StringEquals: { 'aws:ResourceTag/ecs-kit:app': ctx.app } },
    },
    {
      // The Cloud Map services Service Connect made in ecs-kit's namespace carry ECS's tags, not ecs-kit's, and their ARNs
      // do not name the namespace: teardown deletes only those it lists in its own (tagged) namespace.
      Sid: 'ServiceConnectServices',
      Effect: 'Allow',
      Action: ['servicediscovery:DeleteService'],
      Resource: ctx.arn('servicediscovery', 'service/*'),
    },
  ];
}
