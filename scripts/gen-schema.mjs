#!/usr/bin/env node
// Build step: writes schema/ecs-kit.schema.json (the JSON Schema of ecs-kit.yml) from the compiled zod schema.
// Run after `tsc` (it reads dist/); `npm run build` calls it. The package ships the file; configs written by
// `ecs-kit init` point their editor at it with a `# yaml-language-server: $schema=…` first line.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { configJsonSchema } = await import(path.join(root, 'dist', 'config', 'json-schema.js'));
const out = path.join(root, 'schema', 'ecs-kit.schema.json');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), out) || out}`);
