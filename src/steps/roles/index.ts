import type { Config } from '../../config/schema.js';
import { after, type StepModule } from '../../engine/types.js';
import { taskRolePolicy, type PolicyDocument } from '../../security/refs.js';
import { queueStep } from '../queue/index.js';
import { executionPolicyFor, secretsStep, servicesWithSecrets } from '../secrets/index.js';
import { execStatements } from './exec.js';
import { executionPolicyArn } from './policy.js';
import { roleStep, type RolePlanData, type RoleSpec } from './role-step.js';
import { executionRolePermissions, taskRolePermissions } from './permissions.js';

export { INLINE_POLICY_NAME, canonicalPolicy, executionPolicyArn, trustPolicy } from './policy.js';

/** What the role steps record. */
export interface RoleState {
  roleName: string;
  roleArn: string;
  /** Name of the inline policy ecs-kit put on the role, if any. */
  inlinePolicy?: string;
  /**
   * When this role was last created or changed. IAM takes seconds to make such a change usable, so the
   * service step tells the rollout watcher not to count task launches that fail on it in the meantime
   * (real-aws.md #21).
   */
  changedAt?: string;
}

/** A queue worker's task role waits for its queue: it may consume exactly that queue. */
const perService = (config: Config) =>
  Object.entries(config.services).map(([scope, svc]) => ({ scope, dependsOn: svc.queue ? [after(queueStep, scope)] : [] }));

/**
 * The task role's inline policy: the config's statements, and for a queue worker receive/delete/change-visibility (and
 * reading the attributes SDK consumers ask for) on its own queue only.
 */
function taskInlinePolicy(ctx: Parameters<RoleSpec['name']>[0]): PolicyDocument | undefined {
  const own = ctx.service?.taskRole?.statements ?? [];
  const queue = ctx.service?.queue ? ctx.dep(queueStep, ctx.scope).queueArn : undefined;
  const consume = queue
    ? [
        {
          Sid: 'ConsumeOwnQueue',
          Effect: 'Allow',
          Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          Resource: queue,
        },
      ]
    : [];
  const exec = ctx.service?.exec ? execStatements(ctx.names.logGroup(ctx.scope!), ctx) : [];
  return taskRolePolicy([...own, ...consume, ...exec]);
}

export const executionRoleStep: StepModule<RoleState, RolePlanData> = {
  ...roleStep({
    kind: 'execution-role',
    title: () => 'Task execution role',
    // It reads the services' secrets, so it waits for their preflight (which changes nothing).
    instances: (config) => [{ dependsOn: servicesWithSecrets(config).map((service) => after(secretsStep, service)) }],
    name: (ctx) => ctx.names.executionRole,
    description: (ctx) => `ecs-kit: lets ECS pull images and write logs for ${ctx.owner.app}/${ctx.owner.env}`,
    policies: (ctx) => [executionPolicyArn(ctx.region)],
    inlinePolicy: (ctx) =>
      ctx.config ? executionPolicyFor(servicesWithSecrets(ctx.config).map((service) => ctx.dep(secretsStep, service))) : undefined,
  }),
  resourceKinds: ['iam:role'],
  permissions: executionRolePermissions,
};

export const taskRoleStep: StepModule<RoleState, RolePlanData> = {
  ...roleStep({
    kind: 'task-role',
    title: (scope) => `Task role (${scope})`,
    instances: perService,
    name: (ctx) => ctx.names.taskRole(ctx.scope!),
    description: (ctx) => `ecs-kit: the identity of ${ctx.scope} tasks in ${ctx.owner.app}/${ctx.owner.env}`,
    // Least privilege: no permissions until the config grants some.
    policies: (ctx) => [...(ctx.service?.taskRole?.managedPolicies ?? [])],
    inlinePolicy: taskInlinePolicy,
  }),
  resourceKinds: ['iam:role'],
  permissions: taskRolePermissions,
};
