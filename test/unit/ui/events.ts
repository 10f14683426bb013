import type { EcsKitEvent } from '../../../src/engine/events.js';

/** A representative deploy, in the order the runner emits it. */
export const PLAN: Extract<EcsKitEvent, { type: 'plan' }> = {
  type: 'plan',
  command: 'deploy',
  steps: [
    { id: 'network', title: 'Network', action: 'noop', changes: [] },
    { id: 'cluster', title: 'ECS cluster', action: 'create', changes: [] },
    {
      id: 'service:web',
      title: 'Service web',
      action: 'update',
      changes: [
        { field: 'desiredCount', before: 1, after: 2 },
        { field: 'environment.API_KEY', before: '(set)', after: '(changed)' },
      ],
    },
    { id: 'lb', title: 'Load balancer', action: 'create', changes: [], pendingOn: 'network' },
    {
      id: 'taskdef:web',
      title: 'Task definition web',
      action: 'replace',
      changes: [{ field: 'image', before: 'nginx:1.26', after: 'nginx:1.27' }],
    },
    { id: 'old', title: 'Old thing', action: 'delete', changes: [] },
  ],
  summary: { create: 2, update: 1, replace: 1, delete: 1, noop: 1 },
};

export const DEPLOY: EcsKitEvent[] = [
  { type: 'run.start', command: 'deploy', app: 'shop', env: 'default', region: 'us-east-1', account: '123456789012' },
  PLAN,
  { type: 'step.start', step: 'cluster', title: 'ECS cluster', action: 'create' },
  { type: 'aws.call', service: 'ECS', operation: 'CreateCluster', mutating: true, durationMs: 120, ok: true },
  { type: 'step.progress', step: 'cluster', message: 'waiting for ACTIVE' },
  { type: 'step.done', step: 'cluster', title: 'ECS cluster', action: 'create', durationMs: 3200 },
  { type: 'warn', code: 'load-balancer.http-only', step: 'cluster', message: 'something odd' },
  { type: 'output', name: 'url', value: 'http://shop-default-123.us-east-1.elb.amazonaws.com/' },
  { type: 'run.done', command: 'deploy', outcome: 'applied', durationMs: 65_000, mutatingCalls: 14, calls: 60 },
];

export const FAILURE: EcsKitEvent[] = [
  { type: 'step.start', step: 'lb', title: 'Load balancer', action: 'create' },
  {
    type: 'step.failed',
    step: 'lb',
    title: 'Load balancer',
    error: {
      code: 'aws.access-denied',
      message: 'creating Load balancer failed: access denied',
      why: 'Your IAM user may not call elasticloadbalancing:CreateLoadBalancer.',
      fix: 'Attach the policy in README "Permissions".',
    },
  },
  { type: 'run.done', command: 'deploy', outcome: 'failed', durationMs: 4000, mutatingCalls: 3, calls: 9 },
  {
    type: 'error',
    code: 'aws.access-denied',
    message: 'creating Load balancer failed: access denied',
    why: 'Your IAM user may not call elasticloadbalancing:CreateLoadBalancer.',
    fix: 'Attach the policy in README "Permissions".',
  },
];
