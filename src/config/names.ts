import { createHash } from 'node:crypto';

/**
 * Every AWS name ecs-kit uses, derived from app/env/service in one place so that
 * deploy, teardown and tests agree. Names that AWS caps (ALB and target group: 32
 * characters) are shortened with a stable hash suffix rather than truncated blindly.
 */
export function shorten(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6);
  return `${name.slice(0, max - 7).replace(/-+$/, '')}-${hash}`;
}

export interface Names {
  prefix: string;
  cluster: string;
  executionRole: string;
  rolePath: string;
  taskRole(service: string): string;
  repository(service: string): string;
  logGroup(service: string): string;
  taskFamily(service: string): string;
  service(service: string): string;
  loadBalancer: string;
  lbSecurityGroup: string;
  serviceSecurityGroup(service: string): string;
  targetGroup(service: string): string;
  scalingPolicy(service: string): string;
  /** EC2 capacity: the container instances' role and instance profile (same name). */
  instanceRole: string;
  instanceProfile: string;
  instanceSecurityGroup: string;
  launchTemplate: string;
  autoScalingGroup: string;
}

export function namesFor(app: string, env: string): Names {
  const prefix = `${app}-${env}`;
  return {
    prefix,
    cluster: prefix,
    executionRole: shorten(`${prefix}-execution`, 64),
    rolePath: `/ecs-kit/${app}/${env}/`,
    taskRole: (s) => shorten(`${prefix}-${s}-task`, 64),
    repository: (s) => `${app}/${env}/${s}`,
    logGroup: (s) => `/ecs/${app}/${env}/${s}`,
    taskFamily: (s) => `${prefix}-${s}`,
    service: (s) => s,
    loadBalancer: shorten(prefix, 32),
    lbSecurityGroup: `${prefix}-lb`,
    serviceSecurityGroup: (s) => `${prefix}-${s}`,
    targetGroup: (s) => shorten(`${prefix}-${s}`, 32),
    scalingPolicy: (s) => `${prefix}-${s}-cpu`,
    instanceRole: shorten(`${prefix}-ecs-instance`, 64),
    instanceProfile: shorten(`${prefix}-ecs-instance`, 128),
    instanceSecurityGroup: `${prefix}-instances`,
    launchTemplate: `${prefix}-ecs`,
    autoScalingGroup: `${prefix}-ecs`,
  };
}
