import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { parseStateUrl, stateKeys, stateLocation } from '../../../src/config/state.js';
import { EcsKitError, ExitCode } from '../../../src/errors.js';

const config = (state: string) => `app: shop\n${state}\nservices:\n  web:\n    image: nginx:1.27\n    port: 80\n`;

function refusal(text: string): EcsKitError {
  try {
    parseConfigText(text, 'ecs-kit.yml');
  } catch (err) {
    if (err instanceof EcsKitError) return err;
    throw err;
  }
  throw new Error('expected the config to be refused');
}

describe('the state: block and --state', () => {
  it.each([
    ['s3 without a bucket', 'state: { backend: s3 }', /state\.bucket.*is required with backend: s3/s],
    ['an unknown backend', 'state: { backend: dynamodb, bucket: acme-state }', /state\.backend.*"local" or "s3"/s],
    ['a bucket with capitals', 'state: { backend: s3, bucket: Acme-State }', /state\.bucket.*lowercase/s],
    ['a bucket like an IP address', 'state: { backend: s3, bucket: 192.168.1.1 }', /state\.bucket.*IP address/s],
    ['a reserved bucket suffix', 'state: { backend: s3, bucket: acme-s3alias }', /state\.bucket.*reserved/s],
    ['a prefix with ..', 'state: { backend: s3, bucket: acme-state, prefix: a/../b }', /state\.prefix.*segments/s],
    ['a bucket with backend local', 'state: { bucket: acme-state }', /state\.backend.*set backend: s3/s],
    ['an unknown key', 'state: { backend: s3, bucket: acme-state, table: locks }', /state/],
  ])('refuses %s (exit 2, naming the field)', (_name, block, message) => {
    const err = refusal(config(block));
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(`${err.message}\n${err.fix ?? ''}`).toMatch(message);
  });

  it('reads a valid block; the --state flag wins; local is the default', () => {
    const c = parseConfigText(config('state: { backend: s3, bucket: acme-state, prefix: teams/a }'), 'ecs-kit.yml');
    expect(stateLocation(c)).toEqual({ backend: 's3', bucket: 'acme-state', prefix: 'teams/a' });
    expect(stateLocation(c, 's3://other-bucket')).toEqual({ backend: 's3', bucket: 'other-bucket', prefix: '' });
    expect(stateLocation(c, 'local')).toEqual({ backend: 'local' });
    const plain = parseConfigText(config(''), 'ecs-kit.yml');
    expect(stateLocation(plain)).toEqual({ backend: 'local' });
    expect(stateKeys({ prefix: 'ecs-kit' }, 'shop', 'prod')).toEqual({
      dir: 'ecs-kit/shop/',
      state: 'ecs-kit/shop/prod.json',
      lock: 'ecs-kit/shop/prod.lock',
    });
  });

  it('parses --state URLs and names what is wrong', () => {
    expect(parseStateUrl('s3://acme-state/teams/')).toEqual({ backend: 's3', bucket: 'acme-state', prefix: 'teams' });
    expect(parseStateUrl('acme-state')).toMatchObject({ problem: expect.stringContaining('use s3://<bucket>') });
    expect(parseStateUrl('s3://Acme/x')).toMatchObject({ problem: expect.stringContaining('the bucket name "Acme"') });
    expect(parseStateUrl('s3://acme-state/a//b')).toMatchObject({ problem: expect.stringContaining('the prefix "a//b"') });
  });
});
