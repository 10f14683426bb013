import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { parseImagePins } from '../../../src/config/environments.js';
import { ConfigError, UsageError } from '../../../src/errors.js';

const BASE = `app: shop
network: { profile: learning }
services:
  web: { image: "nginx:\${WEB_TAG:-1.27}", port: 80, cpu: 256, memory: 512, autoscaling: { min: 1, max: 4 } }
  api: { image: "\${API_IMAGE}", port: 8080, internal: true }
environments:
  prod:
    network: { profile: production, nat: per-az }
    services:
      web: { desiredCount: 3, cpu: 1024, memory: 2048, autoscaling: { min: 3, max: 30 } }
  staging:
    services:
      web: { cpu: 300 }
`;

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('environments: deep merge per --env', () => {
  const vars = { API_IMAGE: 'registry.example/api:7' };

  it('without --env (or another env) the base applies', () => {
    const c = parseConfigText(BASE, 'ecs-kit.yml', { env: 'default', vars });
    expect(c.network.profile).toBe('learning');
    expect(c.services.web!.cpu).toBe(256);
    expect(c.services.web!.desiredCount).toBe(1);
    expect(c.environments).toBeUndefined();
  });

  it('--env prod merges the overrides over the base: the network and sizes change, the rest stays', () => {
    const c = parseConfigText(BASE, 'ecs-kit.yml', { env: 'prod', vars });
    expect(c.network).toMatchObject({ profile: 'production', nat: 'per-az' });
    expect(c.services.web).toMatchObject({ desiredCount: 3, cpu: 1024, memory: 2048, port: 80, image: 'nginx:1.27' });
    expect(c.services.web!.autoscaling).toMatchObject({ min: 3, max: 30, targetCpu: 60 });
    expect(c.services.api!.internal).toBe(true);
  });

  it('an error in an override names the override path', () => {
    const p = problems(() => parseConfigText(BASE, 'ecs-kit.yml', { env: 'staging', vars }));
    expect(p.join('\n')).toContain('environments.staging.services.web.cpu: 300 is not a Fargate size');
  });

  it('an error in the base keeps the base path even with an env', () => {
    const text = BASE.replace('port: 80, cpu: 256', 'port: 80, cpu: 256, prot: 1');
    expect(problems(() => parseConfigText(text, 'x.yml', { env: 'prod', vars })).join('\n')).toContain('services.web.prot: unknown field');
  });

  it('an unknown environment in environments is fine until it is used; a bad shape is not', () => {
    expect(() => parseConfigText(BASE, 'x.yml', { env: 'prod', vars })).not.toThrow();
    const bad = BASE.replace('  staging:\n    services:\n      web: { cpu: 300 }\n', '  staging: 3\n');
    expect(problems(() => parseConfigText(bad, 'x.yml', { env: 'prod', vars })).join('\n')).toContain(
      'environments.staging: must be a mapping',
    );
  });

  it('null in an override removes the field', () => {
    const text = BASE.replace('services:\n      web: { cpu: 300 }', 'services:\n      web: { autoscaling: null }');
    expect(parseConfigText(text, 'x.yml', { env: 'staging', vars }).services.web!.autoscaling).toBeUndefined();
  });
});

describe('${VAR} interpolation', () => {
  it('takes the variable, or the default when unset or empty', () => {
    expect(parseConfigText(BASE, 'x.yml', { vars: { API_IMAGE: 'a:1', WEB_TAG: '1.29' } }).services.web!.image).toBe('nginx:1.29');
    expect(parseConfigText(BASE, 'x.yml', { vars: { API_IMAGE: 'a:1', WEB_TAG: '' } }).services.web!.image).toBe('nginx:1.27');
    expect(parseConfigText(BASE, 'x.yml', { vars: { API_IMAGE: 'a:1' } }).services.api!.image).toBe('a:1');
  });

  it('an unset variable without a default is a config error naming the field and the variable', () => {
    const p = problems(() => parseConfigText(BASE, 'x.yml', { vars: {} }));
    expect(p).toEqual([
      'services.api.image: uses ${API_IMAGE}, which is not set in the environment; export API_IMAGE=… or write ${API_IMAGE:-default}',
    ]);
  });

  it('$${ is a literal ${, and a malformed reference is named', () => {
    const text = 'app: shop\nservices:\n  web: { image: x, environment: { A: "$${HOME}", B: "${1BAD}" } }\n';
    const p = problems(() => parseConfigText(text, 'x.yml', { vars: {} }));
    expect(p.join('\n')).toContain('services.web.environment.B: "${1BAD}" is not a variable reference');
    const ok = parseConfigText('app: shop\nservices:\n  web: { image: x, environment: { A: "$${HOME}" } }\n', 'x.yml', { vars: {} });
    expect(ok.services.web!.environment.A).toBe('${HOME}');
  });
});

describe('--image pins', () => {
  it('replace the image (and drop a build) of the named service only', () => {
    const text = 'app: shop\nservices:\n  web: { build: { context: . }, port: 80 }\n  worker: { image: w:1 }\n';
    const c = parseConfigText(text, 'x.yml', { images: { web: '1.dkr.ecr.us-east-1.amazonaws.com/web:abc' } });
    expect(c.services.web!.image).toBe('1.dkr.ecr.us-east-1.amazonaws.com/web:abc');
    expect(c.services.web!.build).toBeUndefined();
    expect(c.services.worker!.image).toBe('w:1');
  });

  it('an unknown service or a malformed pin is a usage error', () => {
    expect(() => parseConfigText('app: shop\nservices:\n  web: { image: x }\n', 'x.yml', { images: { nope: 'y' } })).toThrow(UsageError);
    expect(() => parseImagePins(['web'])).toThrow(/--image: "web" is not <service>=<image URI>/);
    expect(() => parseImagePins(['web=a', 'web=b'])).toThrow(/pinned twice/);
    expect(parseImagePins(['web=a:1', 'api=b@sha256:00'])).toEqual({ web: 'a:1', api: 'b@sha256:00' });
  });
});

describe('desiredCount with autoscaling', () => {
  it('defaults into min–max when not written (after the overrides), and a written one outside it is still an error', () => {
    const text = `app: shop
services:
  web: { image: x, port: 80, autoscaling: { min: 2, max: 20 } }
  jobs: { image: y, queue: {}, autoscaling: { min: 0, max: 10, backlogPerTask: 100 } }
environments:
  prod:
    services:
      web: { autoscaling: { min: 3, max: 30 } }
`;
    const base = parseConfigText(text, 'x.yml');
    expect([base.services.web!.desiredCount, base.services.jobs!.desiredCount]).toEqual([2, 1]);
    expect(parseConfigText(text, 'x.yml', { env: 'prod' }).services.web!.desiredCount).toBe(3);
    const written = 'app: shop\nservices:\n  web: { image: x, port: 80, desiredCount: 1, autoscaling: { min: 2, max: 20 } }\n';
    expect(() => parseConfigText(written, 'x.yml')).toThrow(/services\.web\.desiredCount: 1 is outside autoscaling min\/max/);
  });
});
