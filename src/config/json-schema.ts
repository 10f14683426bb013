import { z } from 'zod';
import { configSchema } from './schema.js';
import { VERSION } from '../version.js';

/**
 * The JSON Schema of ecs-kit.yml, generated from the zod schema (the one list of keys), so an editor with the YAML
 * language server completes and checks the config with the same fields, enums, patterns, defaults and descriptions
 * the CLI applies. Cross-field rules (a Fargate cpu/memory pair, min ≤ max) stay in the CLI: JSON Schema cannot say
 * them well. `npm run build` writes it to schema/ecs-kit.schema.json (scripts/gen-schema.mjs), which the package ships.
 */

const version = VERSION;

/**
 * Where the published package's schema is: the URL the configs init writes point their editor at. It names the
 * compatible release line (0.1 for 0.1.x, 1 for 1.x; unpkg resolves semver ranges), so a patch release does not
 * change the files init writes and an editor gets the newest schema of the same config shape.
 */
export function schemaUrl(v = version): string {
  const [major = '0', minor = '0'] = v.split('.');
  const range = major === '0' ? `0.${minor}` : major;
  return `https://unpkg.com/ecs-kit@${range}/schema/ecs-kit.schema.json`;
}

/** The first line of the YAML config init writes: the YAML language server (VS Code, JetBrains, Neovim) reads it. */
export function schemaModeline(v = version): string {
  return `yaml-language-server: $schema=${schemaUrl(v)}`;
}

export function configJsonSchema(v = version): Record<string, unknown> {
  // "input": what a person writes (fields with defaults are optional), not what the CLI works with after parsing.
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: schemaUrl(v),
    title: 'ecs-kit.yml',
    description: `The config of ecs-kit ${v}: an app, its network and its services on Amazon ECS. Generated from ecs-kit's config schema.`,
    ...rest,
  };
}
