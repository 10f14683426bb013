import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { namesFor } from '../../../src/config/names.js';
import { appName, envName, serviceName, type Config } from '../../../src/config/schema.js';
import { EcsKitError, ExitCode } from '../../../src/errors.js';
import { managedParameterName, parseSecretRef } from '../../../src/security/refs.js';
import { capacityProviderName } from '../../../src/capacity/strategy.js';
import { pathPatterns } from '../../../src/steps/target-group/index.js';

/**
 * Every AWS name ecs-kit derives, for every config the schema accepts, against AWS's documented
 * rules (moto checks almost none of them). A config the schema refuses must be refused with exit 2.
 */

type Rule = { source: string; check: (name: string) => string | undefined };

const len = (min: number, max: number) => (n: string) =>
  n.length < min || n.length > max ? `length ${n.length} not in ${min}–${max}` : undefined;
const chars = (re: RegExp, what: string) => (n: string) => (re.test(n) ? undefined : `not ${what}`);
const notStart = (re: RegExp) => (n: string) => (re.test(n) ? `starts with ${re.source}` : undefined);
const all =
  (...checks: ((n: string) => string | undefined)[]) =>
  (n: string) =>
    checks.map((c) => c(n)).find(Boolean);

const ECS_NAME: Rule = {
  source:
    'ECS API CreateCluster clusterName / RegisterTaskDefinition family / CreateService serviceName: up to 255 letters, numbers, hyphens, underscores',
  check: all(len(1, 255), chars(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _')),
};
const IAM_ROLE: Rule = {
  source: 'IAM CreateRole RoleName: 1–64, [\\w+=,.@-]+ (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html)',
  check: all(len(1, 64), chars(/^[\w+=,.@-]+$/, 'IAM name characters')),
};
const ELB_NAME = all(
  len(1, 32),
  chars(/^[A-Za-z0-9-]+$/, 'alphanumeric or hyphens'),
  notStart(/^-/),
  (n) => (n.endsWith('-') ? 'ends with -' : undefined),
  // The API model's pattern (?!.*--)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$ (moto and AWS: ValidationError).
  (n) => (n.includes('--') ? 'contains --' : undefined),
);
const SG_NAME: Rule = {
  source:
    "EC2 CreateSecurityGroup GroupName: up to 255 characters, can't start with sg-, a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{}!$* (EC2 API reference)",
  check: all(len(1, 255), chars(/^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/, 'security group name characters'), notStart(/^sg-/i)),
};

const RULES: Record<string, Rule> = {
  cluster: ECS_NAME,
  service: ECS_NAME,
  taskFamily: ECS_NAME,
  container: ECS_NAME,
  executionRole: IAM_ROLE,
  taskRole: IAM_ROLE,
  instanceRole: IAM_ROLE,
  lbInfrastructureRole: IAM_ROLE,
  rolePath: {
    source: 'IAM CreateRole Path: 1–512, "/" or /[\\u0021-\\u007E]+/',
    check: all(len(1, 512), chars(/^(\/|\/[\x21-\x7E]+\/)$/, 'an IAM path')),
  },
  instanceProfile: {
    source: 'IAM CreateInstanceProfile InstanceProfileName: 1–128, [\\w+=,.@-]+',
    check: all(len(1, 128), chars(/^[\w+=,.@-]+$/, 'IAM name characters')),
  },
  logGroup: {
    source: 'CloudWatch Logs CreateLogGroup logGroupName: 1–512, [.\\-_/#A-Za-z0-9]+',
    check: all(len(1, 512), chars(/^[.\-_/#A-Za-z0-9]+$/, 'log group characters')),
  },
  repository: {
    source: 'ECR CreateRepository repositoryName: 2–256, (?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*',
    check: all(len(2, 256), chars(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'an ECR repository name')),
  },
  loadBalancer: {
    source: 'ELBv2 CreateLoadBalancer Name: ≤ 32, alphanumeric or hyphens, not beginning or ending with -, must not begin with "internal-"',
    check: all(ELB_NAME, notStart(/^internal-/i)),
  },
  targetGroup: { source: 'ELBv2 CreateTargetGroup Name: ≤ 32, alphanumeric or hyphens, not beginning or ending with -', check: ELB_NAME },
  alarm: {
    source: 'CloudWatch PutMetricAlarm AlarmName: 1–255 characters; ECS deploymentConfiguration.alarms joins names with ","',
    check: all(len(1, 255), (n) => (n.includes(',') ? 'contains ,' : undefined)),
  },
  lbSecurityGroup: SG_NAME,
  serviceSecurityGroup: SG_NAME,
  instanceSecurityGroup: SG_NAME,
  scalingPolicy: {
    source: 'Application Auto Scaling PutScalingPolicy PolicyName: 1–256, \\p{Print}+',
    check: all(len(1, 256), chars(/^[\x20-\x7E]+$/, 'printable')),
  },
  launchTemplate: {
    source: 'EC2 CreateLaunchTemplate LaunchTemplateName: 3–128, [a-zA-Z0-9().\\-/_]+',
    check: all(len(3, 128), chars(/^[a-zA-Z0-9().\-/_]+$/, 'launch template characters')),
  },
  autoScalingGroup: {
    source: 'EC2 Auto Scaling CreateAutoScalingGroup AutoScalingGroupName: 1–255, ASCII 33–126, no colon',
    check: all(len(1, 255), chars(/^[\x21-\x7E]+$/, 'ASCII 33–126'), (n) => (n.includes(':') ? 'contains :' : undefined)),
  },
  capacityProvider: {
    source: 'ECS CreateCapacityProvider name: up to 255 letters, numbers, _ and -; can\'t be prefixed with "aws", "ecs" or "fargate"',
    check: all(len(1, 255), chars(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'), notStart(/^(aws|ecs|fargate)/i)),
  },
  ssmParameter: {
    source:
      'SSM PutParameter Name: a-zA-Z0-9_.- and /, not prefixed with aws or ssm (case-insensitive), ≤ 15 levels; ecs-kit must accept its own reference',
    check: all(
      len(1, 1011),
      chars(/^[A-Za-z0-9_.\-/]+$/, 'SSM name characters'),
      notStart(/^\/?(aws|ssm)/i),
      (n) => (n.split('/').length - 1 > 15 ? 'deeper than 15 levels' : undefined),
      (n) => {
        const ref = parseSecretRef(`ssm:${n}`);
        return 'problem' in ref ? `ecs-kit refuses its own reference: ${ref.problem}` : undefined;
      },
    ),
  },
  pathPattern: { source: 'ELBv2 PathPatternConditionConfig Values: each at most 128 characters', check: len(1, 128) },
};

/** A stem as is, with a suffix, padded to the maximum length, and hyphenated up to it. */
const edge = (stem: string, max: number) => [
  stem,
  `${stem}-x`,
  `${stem}${'a'.repeat(max)}`.slice(0, max),
  `${stem}-${'b'.repeat(max)}`.slice(0, max),
];
const STEMS = ['internal', 'sg', 'aws', 'ssm', 'ecs', 'fargate', 'lb', 'instances', 'a', 'ab', '1a', '-a', 'a-', 'a--b', 'a1-2b'];
const APPS = [...new Set(STEMS.flatMap((s) => edge(s, 24)).concat('shop', 'x'.repeat(24), 'a-b-c-d-e-f-g-h-i-j-k-lm', 'a'.repeat(25)))];
const ENVS = [
  ...new Set(['default', 'p', 'prod', 'x'.repeat(16), 'a-b-c-d-e-f-g-hi', 'internal', 'sg-1', 'aws', '9lives', 'x'.repeat(17)]),
];
const SERVICES = [...new Set(STEMS.flatMap((s) => edge(s, 24)).concat('web', 'w'.repeat(24), 'w'.repeat(25)))];

/** Config shapes: a public EC2-capacity service (LB, instance and service SGs all exist) and a Fargate worker. */
const SHAPES = {
  publicEc2: (app: string, svc: string) =>
    `app: ${JSON.stringify(app)}\nservices:\n  ${JSON.stringify(svc)}: { image: nginx, port: 80, path: "/${'p'.repeat(125)}", capacity: ec2, autoscaling: { min: 1, max: 2 } }\n`,
  worker: (app: string, svc: string) => `app: ${JSON.stringify(app)}\nservices:\n  ${JSON.stringify(svc)}: { image: nginx }\n`,
};

function accepted(text: string): Config | undefined {
  try {
    return parseConfigText(text);
  } catch (err) {
    expect(err, text).toBeInstanceOf(EcsKitError);
    expect((err as EcsKitError).exitCode).toBe(ExitCode.Usage);
    return undefined;
  }
}

function derivedNames(config: Config, env: string): { resource: string; name: string }[] {
  const n = namesFor(config.app, env);
  const out: { resource: string; name: string }[] = [];
  const add = (resource: string, name: string) => out.push({ resource, name });
  const shared = [
    'cluster',
    'executionRole',
    'rolePath',
    'instanceRole',
    'instanceProfile',
    'instanceSecurityGroup',
    'launchTemplate',
    'autoScalingGroup',
    'lbInfrastructureRole',
  ] as const;
  for (const key of shared) add(key, n[key]);
  add('capacityProvider', capacityProviderName(n));
  add('ssmParameter', managedParameterName(config.app, env, 'DB_PASSWORD'));
  const publicServices = Object.entries(config.services).filter(([, s]) => s.port !== undefined);
  if (publicServices.length) {
    add('loadBalancer', n.loadBalancer);
    add('lbSecurityGroup', n.lbSecurityGroup);
  }
  for (const [svc, cfg] of Object.entries(config.services)) {
    add('service', n.service(svc));
    add('container', svc);
    add('taskFamily', n.taskFamily(svc));
    add('taskRole', n.taskRole(svc));
    add('repository', n.repository(svc));
    add('logGroup', n.logGroup(svc));
    add('serviceSecurityGroup', n.serviceSecurityGroup(svc));
    add('scalingPolicy', n.scalingPolicy(svc));
    if (cfg.port !== undefined) {
      add('targetGroup', n.targetGroup(svc));
      add('targetGroup', n.alternateTargetGroup(svc));
      for (const metric of ['5xx', 'unhealthy']) for (const alt of [false, true]) add('alarm', n.alarm(svc, metric, alt));
      for (const p of pathPatterns(cfg.path)) add('pathPattern', p);
    }
  }
  return out;
}

describe('every AWS name ecs-kit derives follows AWS rules, for every config the schema accepts', () => {
  it('has a rule (with its source) for every kind of name it checks', () => {
    for (const [resource, rule] of Object.entries(RULES)) expect(rule.source, resource).toMatch(/\w/);
  });

  it.each(Object.keys(SHAPES))('shape %s: accepted configs give only valid, non-colliding names; the rest exit 2', (shape) => {
    const make = SHAPES[shape as keyof typeof SHAPES];
    const problems: string[] = [];
    let checked = 0;
    for (const app of APPS) {
      for (const svc of SERVICES) {
        const config = accepted(make(app, svc));
        if (!config) continue;
        expect(appName.safeParse(app).success && serviceName.safeParse(svc).success).toBe(true);
        for (const env of ENVS.filter((e) => envName.safeParse(e).success)) {
          const names = derivedNames(config, env);
          for (const { resource, name } of names) {
            const problem = RULES[resource]!.check(name);
            if (problem) problems.push(`${resource} "${name}" (app ${app}, env ${env}, service ${svc}): ${problem}`);
          }
          // Security group names are unique per VPC: the groups ecs-kit creates for one config must never share one.
          const ec2 = Object.values(config.services).some((s) => s.capacity === 'ec2');
          const groups = names
            .filter((x) => x.resource.endsWith('SecurityGroup') && (x.resource !== 'instanceSecurityGroup' || ec2))
            .map((x) => x.name.toLowerCase());
          if (new Set(groups).size !== groups.length)
            problems.push(`security groups collide (app ${app}, env ${env}, service ${svc}): ${groups.join(', ')}`);
          checked++;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(500);
  });

  it('every routed path the schema accepts gives path-pattern values within 128 characters', () => {
    const problems: string[] = [];
    for (const n of [1, 100, 125, 126, 127, 128, 200]) {
      for (const path of [`/${'a'.repeat(n)}`, `/${'a'.repeat(n)}/`, `/${'a/'.repeat(n)}`.slice(0, n + 1)]) {
        const config = accepted(`app: shop\nservices:\n  web: { image: x, port: 80, path: "${path}" }\n`);
        for (const value of config ? pathPatterns(config.services.web!.path) : []) {
          const problem = RULES.pathPattern!.check(value);
          if (problem) problems.push(`${value.length}-character path pattern for path ${path.length}: ${problem}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses the names and paths it cannot make valid (exit 2, naming the field and the fix)', () => {
    const refuse = (text: string, field: string, fix: RegExp) => {
      let err: unknown;
      try {
        parseConfigText(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(EcsKitError);
      const e = err as EcsKitError;
      expect(e.exitCode).toBe(ExitCode.Usage);
      expect(e.message).toContain(field);
      expect(e.message).toMatch(fix);
    };
    refuse('app: shop\nservices:\n  lb: { image: x, port: 80 }\n', 'services.lb', /load balancer.*rename the service/);
    refuse('app: shop\nservices:\n  web: { image: x, port: 80 }\n  lb: { image: x }\n', 'services.lb', /rename the service/);
    refuse(
      'app: shop\nservices:\n  instances: { image: x, capacity: ec2 }\n',
      'services.instances',
      /EC2 container instances.*rename the service/,
    );
    const web = (extra: string) => `app: shop\nservices:\n  web: { image: x, port: 80, ${extra} }\n`;
    refuse(web(`path: "/${'a'.repeat(126)}"`), 'services.web.path', /at most 126 characters.*shorten the path/);
    refuse(web(`healthCheckPath: "/${'a'.repeat(1024)}"`), 'services.web.healthCheckPath', /at most 1024/);
  });

  it('keeps working names unchanged and derives a valid one only where AWS reserves the start', () => {
    const shop = namesFor('shop', 'prod');
    expect([shop.loadBalancer, shop.lbSecurityGroup, shop.serviceSecurityGroup('web'), shop.instanceSecurityGroup]).toEqual([
      'shop-prod',
      'shop-prod-lb',
      'shop-prod-web',
      'shop-prod-instances',
    ]);
    expect(namesFor('internal-tools', 'prod').loadBalancer).toBe('ecs-kit-internal-tools-prod');
    expect(namesFor('internals', 'prod').loadBalancer).toBe('internals-prod');
    const sg = namesFor('sg', 'prod');
    expect([sg.lbSecurityGroup, sg.serviceSecurityGroup('web'), sg.instanceSecurityGroup]).toEqual([
      'ecs-kit-sg-prod-lb',
      'ecs-kit-sg-prod-web',
      'ecs-kit-sg-prod-instances',
    ]);
    expect(namesFor('sgx', 'prod').lbSecurityGroup).toBe('sgx-prod-lb');
    // A service named lb or instances is fine where ecs-kit has no group of that name.
    expect(parseConfigText('app: shop\nservices:\n  lb: { image: x }\n').services.lb).toBeDefined();
    expect(parseConfigText('app: shop\nservices:\n  instances: { image: x, port: 80 }\n').services.instances).toBeDefined();
    expect(
      parseConfigText(`app: shop\nservices:\n  web: { image: x, port: 80, path: "/${'a'.repeat(125)}/" }\n`).services.web!.path,
    ).toHaveLength(127);
  });
});
