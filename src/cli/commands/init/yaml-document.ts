import { parse as parseYaml } from 'yaml';
import { isEnvVarName } from '../../../config/env-vars.js';

/**
 * A config file as init writes it: keys, values, and the comments a person reads above them.
 * One document gives both the commented YAML and the plain object a .json config is written
 * from, so the two cannot disagree.
 */
export interface YamlDocument {
  /** Comment lines at the top of the file. */
  header: readonly string[];
  /** Top-level entries; the YAML puts a blank line between them. */
  entries: readonly Entry[];
}

export type Value = string | number | boolean | readonly string[] | Mapping;

/** A nested mapping; written `{}` when it has no fields. */
export interface Mapping {
  entries: readonly Entry[];
}

/** A key and its value, with the comment lines above it. */
export interface Field {
  key: string;
  value: Value;
  comment: readonly string[];
}

/** Comment lines on their own (e.g. a commented-out example). Only the YAML has them. */
export interface Note {
  note: readonly string[];
}

export type Entry = Field | Note;

/** Array.isArray narrows a readonly array to any[]; this keeps the element type. */
function isList(v: Value): v is readonly string[] {
  return Array.isArray(v);
}

export function field(key: string, value: Value, ...comment: string[]): Field {
  return { key, value, comment };
}

export function mapping(...entries: (Entry | undefined)[]): Mapping {
  return { entries: entries.filter((e): e is Entry => e !== undefined) };
}

export function note(...lines: string[]): Note {
  return { note: lines };
}

/** The YAML text: header, then the entries with their comments, 2-space indentation, one trailing newline. */
export function toYaml(doc: YamlDocument): string {
  const header = comments(doc.header, '').join('\n');
  const sections = doc.entries.map((e) => entryLines(e, '').join('\n'));
  return `${[header, ...sections].join('\n\n')}\n`;
}

/** The same document as a plain object (comments and notes dropped), for JSON. */
export function toObject(m: Mapping): Record<string, unknown> {
  const fields = m.entries.filter((e): e is Field => 'key' in e);
  return Object.fromEntries(fields.map((f) => [f.key, isMapping(f.value) ? toObject(f.value) : isList(f.value) ? [...f.value] : f.value]));
}

function entryLines(e: Entry, indent: string): string[] {
  if ('note' in e) return comments(e.note, indent);
  const head = `${indent}${yamlKey(e.key)}:`;
  const value = e.value;
  let body: string[];
  if (!isMapping(value)) body = [`${head} ${inline(value)}`];
  else if (value.entries.length === 0) body = [`${head} {}`];
  else body = [head, ...value.entries.flatMap((child) => entryLines(child, `${indent}  `))];
  return [...comments(e.comment, indent), ...body];
}

function comments(lines: readonly string[], indent: string): string[] {
  return lines.map((l) => `${indent}# ${l}`);
}

function isMapping(v: Value): v is Mapping {
  return typeof v === 'object' && !Array.isArray(v);
}

function inline(v: Exclude<Value, Mapping>): string {
  if (typeof v === 'string') return scalar(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `[${v.map(scalar).join(', ')}]`;
}

/** A YAML scalar that reads back as exactly this string (plain when that is safe, else double-quoted). */
function scalar(v: string): string {
  if (v !== '' && !/[#\n]|^\s|\s$/.test(v)) {
    try {
      if ((parseYaml(`k: ${v}`) as { k?: unknown } | null)?.k === v) return v;
    } catch {
      // not plain-safe; quote below
    }
  }
  return JSON.stringify(v);
}

function yamlKey(k: string): string {
  return isEnvVarName(k) ? k : JSON.stringify(k);
}
