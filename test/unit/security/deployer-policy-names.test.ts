import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { namesFor } from '../../../src/config/names.js';
import { deployerPolicy } from '../../../src/security/deployer-policy.js';
import { legacyManagedParameterName, managedParameterName } from '../../../src/security/refs.js';
import { capacityProviderName } from '../../../src/capacity/strategy.js';

/**
 * The deployer policy names resources by pattern; the steps name them through names.ts and
 * capacity.ts. IAM matches ARNs literally (with * and ?), so a pattern that misses the name a
 * step uses is an AccessDenied on real AWS that moto (no IAM enforcement) never shows.
 */

type Stmt = { Sid: string; Action: string[]; Resource: string | string[] };

/** IAM Resource matching: * is any run of characters (including /), ? exactly one. */
function matches(pattern: string, arn: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(arn);
}

function allows(statements: Stmt[], action: string, arn: string): boolean {
  return statements.some((s) => s.Action.includes(action) && [s.Resource].flat().some((r) => matches(r, arn)));
}

const R = 'eu-west-1';
const A = '111122223333';
const arn = (service: string, resource: string) => `arn:aws:${service}:${R}:${A}:${resource}`;

function config(app: string): string {
  return `app: ${app}
services:
  web:
    build: { context: . }
    port: 80
    autoscaling: { min: 1, max: 2 }
    secrets: { DB: "ssm:/ecs-kit/${app}/ENV/DB" }
  ${'w'.repeat(24)}:
    image: busybox
    port: 8080
    path: /api
    capacity: ec2
`;
}

const APPS = ['shop', 'ecs-demo', 'aws-tools', 'fargate-x', 'ssm-app', 'internal-tools', 'sg-app', 'a'.repeat(24)];
const ENVS = ['prod', 'x'.repeat(16)];

describe('deployer policy ARNs cover the names the steps use', () => {
  it.each(APPS.flatMap((app) => ENVS.map((env) => [app, env] as const)))('app %s, env %s', (app, env) => {
    const cfg = parseConfigText(config(app).replace('/ENV/', `/${env}/`));
    const statements = deployerPolicy({ config: cfg, env, region: R, account: A }).Statement as unknown as Stmt[];
    const n = namesFor(app, env);
    const services = Object.keys(cfg.services);
    const role = (name: string) => `arn:aws:iam::${A}:role${n.rolePath}${name}`;
    const wanted: [string, string][] = [
      ['ecs:DeleteCluster', arn('ecs', `cluster/${n.cluster}`)],
      ['ecs:CreateCapacityProvider', arn('ecs', `capacity-provider/${capacityProviderName(n)}`)],
      ['ecs:DeleteCapacityProvider', arn('ecs', `capacity-provider/${capacityProviderName(n)}`)],
      ['iam:CreateRole', role(n.executionRole)],
      ['iam:PassRole', role(n.executionRole)],
      ['iam:CreateRole', role(n.instanceRole)],
      ['iam:CreateInstanceProfile', `arn:aws:iam::${A}:instance-profile${n.rolePath}${n.instanceProfile}`],
      [
        'autoscaling:CreateAutoScalingGroup',
        `arn:aws:autoscaling:${R}:${A}:autoScalingGroup:0f1e2d3c-aaaa:autoScalingGroupName/${n.autoScalingGroup}`,
      ],
      ['ssm:PutParameter', arn('ssm', `parameter${managedParameterName(app, env, 'DB')}`)],
      ['ssm:DeleteParameter', arn('ssm', `parameter${managedParameterName(app, env, 'DB')}`)],
      ['ssm:DeleteParameter', arn('ssm', `parameter${legacyManagedParameterName(app, env, 'DB')}`)],
      ['elasticloadbalancing:CreateLoadBalancer', arn('elasticloadbalancing', `loadbalancer/app/${n.loadBalancer}/50dc6c495c0c9188`)],
      ['elasticloadbalancing:CreateListener', arn('elasticloadbalancing', `loadbalancer/app/${n.loadBalancer}/50dc6c495c0c9188`)],
      ['elasticloadbalancing:CreateRule', arn('elasticloadbalancing', `listener/app/${n.loadBalancer}/50dc6c495c0c9188/f2f7dc8efc522ab2`)],
      ...services.flatMap((s): [string, string][] => [
        ['iam:CreateRole', role(n.taskRole(s))],
        ['iam:PassRole', role(n.taskRole(s))],
        ['logs:CreateLogGroup', arn('logs', `log-group:${n.logGroup(s)}`)],
        ['logs:PutRetentionPolicy', arn('logs', `log-group:${n.logGroup(s)}:*`)],
        ['ecs:CreateService', arn('ecs', `service/${n.cluster}/${n.service(s)}`)],
        ['ecs:RunTask', arn('ecs', `task-definition/${n.taskFamily(s)}:7`)],
        ['elasticloadbalancing:CreateTargetGroup', arn('elasticloadbalancing', `targetgroup/${n.targetGroup(s)}/73e2d6bc24d8a067`)],
        ['ecr:CreateRepository', arn('ecr', `repository/${n.repository(s)}`)],
      ]),
    ];
    const denied = wanted.filter(([action, resource]) => !allows(statements, action, resource)).map(([a, r]) => `${a} on ${r}`);
    expect(denied).toEqual([]);
  });

  it('the matcher itself is literal outside * and ?', () => {
    expect(matches('arn:aws:ecs:r:a:capacity-provider/ecs-demo-prod-ec2', 'arn:aws:ecs:r:a:capacity-provider/cp-ecs-demo-prod-ec2')).toBe(
      false,
    );
    expect(matches('arn:aws:secretsmanager:r:a:secret:x-??????', 'arn:aws:secretsmanager:r:a:secret:x-AbCdEf')).toBe(true);
    expect(matches('arn:aws:ssm:r:a:parameter/ecs-kit/a/b/*', 'arn:aws:ssm:r:a:parameter/a/b/X')).toBe(false);
  });
});
