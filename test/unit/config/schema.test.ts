import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { FARGATE_SIZES } from '../../../src/config/fargate.js';
import { namesFor, shorten } from '../../../src/config/names.js';

function problems(text: string, file = 'ecs-kit.yml'): string[] {
  try {
    parseConfigText(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const svc = (extra: string) => `app: shop\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n${extra}`;

describe('config schema', () => {
  it('accepts the minimal config and fills defaults', () => {
    const c = parseConfigText(svc(''));
    expect(c.network).toEqual({ profile: 'learning', cidr: '10.0.0.0/16', azs: 2, nat: 'single' });
    expect(c.services.web).toMatchObject({
      cpu: 256,
      memory: 512,
      desiredCount: 1,
      healthCheckPath: '/',
      path: '/',
      logRetentionDays: 30,
      environment: {},
    });
  });

  it('accepts JSON files', () => {
    const c = parseConfigText(JSON.stringify({ app: 'shop', services: { web: { image: 'nginx', port: 8080 } } }), 'x.json');
    expect(c.services.web!.port).toBe(8080);
  });

  it('accepts every valid Fargate cpu/memory pair', () => {
    for (const [cpu, mems] of Object.entries(FARGATE_SIZES)) {
      for (const memory of mems) expect(problems(svc(`    cpu: ${cpu}\n    memory: ${memory}\n`))).toEqual([]);
    }
  });

  it.each([
    [
      'cpu not a Fargate size',
      svc('    cpu: 300\n'),
      'services.web.cpu: 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384',
    ],
    [
      'memory invalid for cpu',
      svc('    cpu: 256\n    memory: 4096\n'),
      'services.web.memory: 4096 MiB is not valid with cpu 256; use 512, 1024 or 2048',
    ],
    ['memory range message', svc('    cpu: 1024\n    memory: 1024\n'), 'use 2048 to 8192 in steps of 1024'],
    ['port too large', svc('').replace('port: 80', 'port: 70000'), 'services.web.port: 70000 must be between 1 and 65535'],
    ['port not a number', svc('').replace('port: 80', 'port: http'), 'services.web.port: "http" is a string; expected a number'],
    ['typo → did you mean', svc('    prot: 80\n'), 'services.web.prot: unknown field; did you mean "port"?'],
    ['top-level typo', `app: shop\nservice:\n  web: { image: nginx }\n`, 'service: unknown field; did you mean "services"?'],
    ['missing app', 'services:\n  web: { image: nginx }\n', 'app: is required'],
    ['bad app name', svc('').replace('app: shop', 'app: Shop_1'), 'app: "Shop_1" app name may contain only lowercase letters'],
    ['app name too long', svc('').replace('app: shop', `app: ${'a'.repeat(30)}`), 'at most 24 characters'],
    ['image and build', svc('    build: { context: . }\n'), 'services.web: set either image'],
    ['neither image nor build', 'app: shop\nservices:\n  web: { port: 80 }\n', 'services.web: set image'],
    ['bad service name', 'app: shop\nservices:\n  Web_1: { image: nginx }\n', 'services.Web_1: service name may contain only'],
    ['no services', 'app: shop\nservices: {}\n', 'services: define at least one service'],
    ['bad env var name', svc('    environment: { "1BAD": x }\n'), 'services.web.environment.1BAD: is not a valid variable name'],
    ['reserved env var', svc('    environment: { AWS_REGION: x }\n'), 'reserved by the ECS agent'],
    ['non-string env value', svc('    environment: { DEBUG: true }\n'), 'services.web.environment.DEBUG'],
    ['log retention', svc('    logRetentionDays: 31\n'), 'services.web.logRetentionDays: 31 is not a CloudWatch Logs retention'],
    ['autoscaling min > max', svc('    autoscaling: { min: 5, max: 2 }\n'), 'services.web.autoscaling.min: 5 is greater than max (2)'],
    [
      'desired outside autoscaling',
      svc('    desiredCount: 9\n    autoscaling: { min: 1, max: 4 }\n'),
      'services.web.desiredCount: 9 is outside autoscaling min/max (1–4)',
    ],
    ['bad cidr', `${svc('')}network: { cidr: 10.0.0.0/8 }\n`, 'network.cidr: "10.0.0.0/8" must be an IPv4 CIDR block from /16 to /24'],
    ['unknown profile', `${svc('')}network: { profile: huge }\n`, 'network.profile'],
    ['bad region', `${svc('')}region: mars-1\n`, 'region: "mars-1" must be an AWS region code'],
    [
      'duplicate routed path',
      'app: shop\nservices:\n  a: { image: nginx, port: 80 }\n  b: { image: nginx, port: 81 }\n',
      'services.b.path: "/" is already routed to service a',
    ],
    ['health check path', svc('    healthCheckPath: health\n'), 'services.web.healthCheckPath: "health" must start with /'],
    ['list at top', '- a\n- b\n', 'the top level must be a mapping'],
  ])('rejects %s', (_name, text, expected) => {
    const found = problems(text);
    expect(found.join('\n')).toContain(expected);
  });

  it('reports YAML syntax errors with a line number', () => {
    expect(problems('app: shop\nservices:\n  web: [unclosed\n')[0]).toMatch(/YAML syntax error at line \d+/);
  });

  it('reports JSON syntax errors', () => {
    expect(problems('{ "app": ', 'x.json')[0]).toMatch(/JSON syntax error/);
  });

  it('rejects an empty file', () => {
    expect(problems('')[0]).toMatch(/file is empty/);
  });

  it('lists several problems at once', () => {
    expect(problems(svc('    healthCheckPath: x\n    desiredCount: -1\n')).length).toBeGreaterThanOrEqual(2);
  });
});

describe('names', () => {
  it('keeps ALB and target group names within 32 characters, stably', () => {
    const n = namesFor('a-very-long-application', 'production1');
    expect(n.loadBalancer.length).toBeLessThanOrEqual(32);
    expect(n.targetGroup('some-long-service-name').length).toBeLessThanOrEqual(32);
    expect(n.targetGroup('some-long-service-name')).toBe(
      namesFor('a-very-long-application', 'production1').targetGroup('some-long-service-name'),
    );
    expect(shorten('short', 32)).toBe('short');
  });

  it('gives each app/env its own role path and log group', () => {
    const n = namesFor('shop', 'staging');
    expect(n.rolePath).toBe('/ecs-kit/shop/staging/');
    expect(n.logGroup('web')).toBe('/ecs/shop/staging/web');
  });
});
