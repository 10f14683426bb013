import { SERVICE_LINKED_ROLES, type ServiceLinkedRoleKey } from '../aws/service-linked-roles.js';
import type { PolicyContext } from './policy-context.js';

/** IAM condition block: operator → condition key → value(s). */
export type Condition = Record<string, Record<string, string | string[]>>;

/** One statement of the deployer policy. Steps and commands declare them; deployerPolicy() merges them into one document. */
export type Statement = { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string | string[]; Condition?: Condition };

/*
 * Statements more than one step (or a step and a command) declare. Each builder fixes the Sid and the resources,
 * so the same grant from two places merges into one statement when the policy is assembled.
 */

/** Actions AWS cannot scope to a resource ARN (Describe*, List*, creates of things that have no ARN yet). */
export function unscoped(actions: string[]): Statement {
  return { Sid: 'Unscoped', Effect: 'Allow', Action: actions, Resource: '*' };
}

/** EC2 changes to resources that already exist: only to those carrying this app's ecs-kit:app tag (every create tags them). */
export function ownEc2(ctx: PolicyContext, actions: string[]): Statement {
  return {
    Sid: 'ChangeOwnEc2',
    Effect: 'Allow',
    Action: actions,
    Resource: '*',
    Condition: { StringEquals: { 'aws:ResourceTag/ecs-kit:app': ctx.app } },
  };
}

/** EC2 tags only as part of these creates (tag-on-create), never on someone else's resource. */
export function tagOnCreate(createActions: string[]): Statement {
  return {
    Sid: 'TagOnCreate',
    Effect: 'Allow',
    Action: ['ec2:CreateTags'],
    Resource: '*',
    Condition: { StringEquals: { 'ec2:CreateAction': createActions } },
  };
}

/**
 * Security groups (src/aws/security-groups.ts): created (tagged) by the load balancer, security-group and
 * EC2 capacity steps, changed and deleted only while tagged. That module's ownership helper (src/aws/ownership.ts)
 * also reads ELB tags.
 */
export function securityGroupGrants(ctx: PolicyContext): Statement[] {
  return [
    unscoped(['ec2:DescribeSecurityGroups', 'ec2:CreateSecurityGroup', 'elasticloadbalancing:DescribeTags']),
    tagOnCreate(['CreateSecurityGroup']),
    ownEc2(ctx, ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:DeleteSecurityGroup']),
  ];
}

/** The cluster, its services and tasks, and each service's task definition family. */
export function ownEcs(ctx: PolicyContext, actions: string[]): Statement {
  const { cluster, taskFamily } = ctx.names;
  const resources = [
    `cluster/${cluster}`,
    `service/${cluster}/*`,
    `task/${cluster}/*`,
    ...ctx.services.map((s) => `task-definition/${taskFamily(s)}:*`),
  ];
  return { Sid: 'EcsCluster', Effect: 'Allow', Action: actions, Resource: resources.map((r) => ctx.arn('ecs', r)) };
}

/**
 * Following (and continuing, stopping) a service deployment of blue/green, linear and canary rollouts: the service
 * deployments of this cluster's services (service-deployment/<cluster>/<service>/<id>) and the services they belong to.
 */
export function ownServiceDeployments(ctx: PolicyContext, actions: string[]): Statement {
  const { cluster } = ctx.names;
  return {
    Sid: 'EcsServiceDeployments',
    Effect: 'Allow',
    Action: actions,
    Resource: [ctx.arn('ecs', `service/${cluster}/*`), ctx.arn('ecs', `service-deployment/${cluster}/*`)],
  };
}

/** Every role ecs-kit creates for this app/env sits under its role path. */
export function ownRoleArns(ctx: PolicyContext): string {
  return ctx.iamArn(`role${ctx.names.rolePath}*`);
}

/** ecs-kit's own roles (the role steps', and the EC2 container instances'). */
export function ownRoles(ctx: PolicyContext, actions: string[]): Statement {
  return { Sid: 'OwnRoles', Effect: 'Allow', Action: actions, Resource: ownRoleArns(ctx) };
}

/** Attach and detach on ecs-kit's roles, limited to the managed policies the config names. */
export function attachOnly(ctx: PolicyContext, policyArns: string[]): Statement[] {
  if (!policyArns.length) return [];
  return [
    {
      Sid: 'AttachOnlyConfiguredPolicies',
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: ownRoleArns(ctx),
      Condition: { ArnEquals: { 'iam:PolicyARN': policyArns } },
    },
  ];
}

/** Log groups: /ecs/<app>/<env>/<service>, and their streams. */
export function ownLogGroups(ctx: PolicyContext, actions: string[]): Statement {
  const groups = ctx.services.flatMap((s) => [
    ctx.arn('logs', `log-group:${ctx.names.logGroup(s)}`),
    ctx.arn('logs', `log-group:${ctx.names.logGroup(s)}:*`),
  ]);
  return { Sid: 'OwnLogGroups', Effect: 'Allow', Action: actions, Resource: groups };
}

/** ECR repositories ecs-kit creates: <app>/<env>/<service>. */
export function ownRepositories(ctx: PolicyContext, actions: string[]): Statement {
  return { Sid: 'OwnRepositories', Effect: 'Allow', Action: actions, Resource: ctx.arn('ecr', `repository/${ctx.app}/${ctx.env}/*`) };
}

/** Whether a service-linked role exists (src/aws/service-linked-roles.ts, and `doctor`). */
export function readServiceLinkedRoles(ctx: PolicyContext): Statement {
  return { Sid: 'ReadServiceLinkedRoles', Effect: 'Allow', Action: ['iam:GetRole'], Resource: ctx.iamArn('role/aws-service-role/*') };
}

/** Check for these service-linked roles, and create them before the first create that needs one (src/aws/service-linked-roles.ts). */
export function serviceLinkedRoles(ctx: PolicyContext, keys: ServiceLinkedRoleKey[]): Statement[] {
  return [
    readServiceLinkedRoles(ctx),
    {
      Sid: 'ServiceLinkedRoles',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: ctx.iamArn('role/aws-service-role/*'),
      Condition: { StringEquals: { 'iam:AWSServiceName': keys.map((k) => SERVICE_LINKED_ROLES[k].service) } },
    },
  ];
}

/**
 * Following a rollout (src/rollout): the service's deployments and stopped tasks, the rollback to the previous
 * revision, and the diagnosis from the tasks' task definition and logs and the load balancer's target health.
 * The service step and the `scale` and `rollback` commands watch rollouts.
 */
export function watchRollout(ctx: PolicyContext): Statement[] {
  return [
    ownEcs(ctx, ['ecs:DescribeServices', 'ecs:UpdateService', 'ecs:DescribeTasks']),
    unscoped(['ecs:ListTasks', 'ecs:DescribeTaskDefinition', 'elasticloadbalancing:DescribeTargetHealth']),
    ownLogGroups(ctx, ['logs:GetLogEvents']),
  ];
}
