import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configJsonSchema, schemaModeline, schemaUrl } from '../../../src/config/json-schema.js';

const schema = configJsonSchema();
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validate = ajv.compile(schema);

function errorsOf(doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** Every object property in the schema, with its path, walking nested objects, records and arrays. */
function properties(node: unknown, at: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (!node || typeof node !== 'object') return out;
  const n = node as Record<string, unknown>;
  for (const [k, v] of Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    out.push([`${at}.${k}`, v]);
    properties(v, `${at}.${k}`, out);
  }
  for (const key of ['additionalProperties', 'items'] as const) if (typeof n[key] === 'object') properties(n[key], `${at}.*`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const s of (n[key] as unknown[] | undefined) ?? []) properties(s, at, out);
  return out;
}

const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
// Blocks that open with a comment naming another file (`# .gitlab-ci.yml`) are not ecs-kit.yml.
const readmeYaml = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```/gm)]
  .map((m) => m[1] ?? '')
  .filter((text) => !/^# \S*\.ya?ml\b/.test(text) || text.startsWith('# ecs-kit.yml'));

// The README shortens ARNs with "…"; the examples stand for real ones.
const filled = (text: string) =>
  text
    .replaceAll('certificate/…', 'certificate/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab')
    .replaceAll('key/…', 'key/0f1e2d3c-aaaa-bbbb-cccc-0123456789ab');

describe('the JSON Schema of ecs-kit.yml', () => {
  it('is generated from the zod schema: every field, with a description', () => {
    const props = properties(schema, '');
    expect(props.map(([p]) => p)).toEqual(
      expect.arrayContaining(['.app', '.network.profile', '.services.*.image', '.services.*.taskRole.statements.*.Effect']),
    );
    const undocumented = props.filter(([, p]) => typeof p.description !== 'string' || p.description.length < 8).map(([p]) => p);
    expect(undocumented).toEqual([]);
    expect(schema.$id).toBe(schemaUrl());
  });

  it('checks what a person writes: unknown keys, enums and patterns are errors', () => {
    expect(errorsOf({ app: 'shop', services: { web: { image: 'nginx' } } })).toEqual([]);
    expect(errorsOf({ app: 'shop', services: { web: { image: 'nginx', cpus: 256 } } }).join('\n')).toMatch(/additional properties/);
    expect(errorsOf({ app: 'shop', network: { profile: 'prod' }, services: {} }).join('\n')).toMatch(/\/network\/profile/);
    expect(errorsOf({ app: 'Shop!', services: {} }).join('\n')).toMatch(/\/app/);
    expect(errorsOf({ services: {} }).join('\n')).toMatch(/required property 'app'/);
  });

  it('validates templates/ecs-kit.yml, whose first line points the editor at it', async () => {
    const template = await readFile(new URL('../../../templates/ecs-kit.yml', import.meta.url), 'utf8');
    expect(template.split('\n')[0]).toBe(`# ${schemaModeline()}`);
    expect(errorsOf(parse(template))).toEqual([]);
  });

  it('validates every YAML example in the README (fragments on top of a minimal config)', () => {
    expect(readmeYaml.length).toBeGreaterThan(0);
    for (const text of readmeYaml) {
      // An indented fragment is one or more entries under services:.
      const doc = parse(filled(text.startsWith('  ') ? `services:\n${text}` : text)) as Record<string, unknown>;
      const services = (doc.services ?? { web: { image: 'nginx:1.27' } }) as Record<string, unknown>;
      const full = { app: 'shop', ...doc, services };
      expect({ example: text.split('\n')[0], errors: errorsOf(full) }).toEqual({ example: text.split('\n')[0], errors: [] });
    }
  });

  it('names the compatible release line in its URL', () => {
    expect(schemaUrl('0.1.7')).toBe('https://unpkg.com/ecs-kit@0.1/schema/ecs-kit.schema.json');
    expect(schemaUrl('2.3.4')).toBe('https://unpkg.com/ecs-kit@2/schema/ecs-kit.schema.json');
  });
});
