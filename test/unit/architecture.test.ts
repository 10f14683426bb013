import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The UI-free core (DEVELOPERS.md): everything in src/ except the CLI and the reporters emits events and never prints,
// exits, prompts or changes directory itself. The lint rules in eslint.config.js say the same for the editor; this
// test parses every file with the TypeScript compiler, so comments and strings never trip it and no import form slips by.

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The only folders of src/ that may print, prompt, exit or spin. Every other file in src/ is the core. */
const UI_SIDE = ['cli', 'ui'];
/** Libraries that talk to the terminal: a spinner, an argument parser, prompts (any @inquirer package). */
const UI_PACKAGES = ['ora', 'commander'];
const UI_SCOPES = ['@inquirer/'];
/** What the core may not touch on `process`: printing, the exit status, the working directory. */
const PROCESS_MEMBERS = new Set(['exit', 'exitCode', 'stdout', 'stderr', 'chdir']);
const PROCESS_MODULES = new Set(['process', 'node:process']);

interface Violation {
  line: number;
  what: string;
}

function coreFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return dir === SRC && UI_SIDE.includes(entry.name) ? [] : coreFiles(file);
    return /\.[cm]?ts$/.test(entry.name) ? [file] : [];
  });
}

/** Why importing `specifier` from `file` is forbidden in the core, or undefined when it is allowed. */
function forbiddenImport(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const [top] = path.relative(SRC, path.resolve(path.dirname(file), specifier)).split(path.sep);
    const folder = top?.replace(/\.[cm]?[jt]s$/, '');
    return folder && UI_SIDE.includes(folder) ? `the UI layer src/${folder}` : undefined;
  }
  if (UI_PACKAGES.some((name) => specifier === name || specifier.startsWith(`${name}/`))) return 'a terminal UI library';
  if (UI_SCOPES.some((scope) => specifier.startsWith(scope))) return 'a prompt library';
  return undefined;
}

function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
}

/** The module a node imports, in any form: import/export ... from, import = require, require(), import(), typeof import(). */
function importedModule(node: ts.Node): string | undefined {
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return literalText(node.moduleSpecifier);
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return literalText(node.moduleReference.expression);
  }
  if (ts.isCallExpression(node)) {
    const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
    const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
    return isImport || isRequire ? literalText(node.arguments[0]) : undefined;
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return literalText(node.argument.literal);
  return undefined;
}

/** Local names bound to the process object (`process`, or `import proc from 'node:process'`) and the forbidden members imported by name. */
function processBindings(source: ts.SourceFile, report: (node: ts.Node, what: string) => void): Set<string> {
  const names = new Set(['process']);
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !PROCESS_MODULES.has(literalText(statement.moduleSpecifier) ?? '')) continue;
    const clause = statement.importClause;
    if (clause?.name) names.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) {
        const member = (element.propertyName ?? element.name).text;
        if (PROCESS_MEMBERS.has(member)) report(element, `imports process.${member}`);
      }
    }
  }
  return names;
}

/** `console` or `process` when `expression` names that global (directly, through globalThis, or a process alias). */
function globalObject(expression: ts.Expression, processNames: Set<string>): 'console' | 'process' | undefined {
  let name: string | undefined;
  if (ts.isIdentifier(expression)) name = processNames.has(expression.text) ? 'process' : expression.text;
  else if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression)) {
    if (expression.expression.text === 'globalThis') name = expression.name.text;
  }
  return name === 'console' || name === 'process' ? name : undefined;
}

/** `object.member` read through a property access, an element access with a literal key, or destructuring. */
function memberRead(node: ts.Node): { object: ts.Expression; members: string[] } | undefined {
  if (ts.isPropertyAccessExpression(node)) return { object: node.expression, members: [node.name.text] };
  if (ts.isElementAccessExpression(node)) {
    const key = literalText(node.argumentExpression);
    return key === undefined ? undefined : { object: node.expression, members: [key] };
  }
  if (ts.isVariableDeclaration(node) && node.initializer && ts.isObjectBindingPattern(node.name)) {
    const members = node.name.elements.map((element) => {
      const key = element.propertyName ?? element.name;
      return ts.isIdentifier(key) || ts.isStringLiteral(key) ? key.text : '';
    });
    return { object: node.initializer, members };
  }
  return undefined;
}

/** Every way `file` (a core file) prints, exits, changes directory or reaches the UI layer. */
function findViolations(file: string, text: string): Violation[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: Violation[] = [];
  const report = (node: ts.Node, what: string) => {
    found.push({ line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, what });
  };
  const processNames = processBindings(source, report);
  const visit = (node: ts.Node): void => {
    const specifier = importedModule(node);
    const why = specifier === undefined ? undefined : forbiddenImport(file, specifier);
    if (why) report(node, `imports ${specifier} (${why})`);
    const read = memberRead(node);
    const object = read && globalObject(read.object, processNames);
    for (const member of read?.members ?? []) {
      if (object === 'console' || (object === 'process' && PROCESS_MEMBERS.has(member))) report(node, `uses ${object}.${member}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** findViolations for a snippet placed at `relative` under src/, as "line: what" strings. */
function check(relative: string, text: string): string[] {
  return findViolations(path.join(SRC, relative), text).map((v) => `${v.line}: ${v.what}`);
}

describe('architecture: the core never prints, exits, prompts or imports the UI', () => {
  it('checks every file of src/ outside cli/ and ui/, the folders issue 15 names included', () => {
    const folders = new Set(coreFiles().map((file) => path.relative(SRC, file).split(path.sep)[0]));
    for (const folder of ['engine', 'steps', 'config', 'aws', 'security']) expect(folders).toContain(folder);
    for (const folder of UI_SIDE) expect(folders).not.toContain(folder);
  });

  it('finds no violation in the core', () => {
    const violations = coreFiles().flatMap((file) =>
      findViolations(file, readFileSync(file, 'utf8')).map((v) => `src/${path.relative(SRC, file)}:${v.line} ${v.what}`),
    );
    expect(violations).toEqual([]);
  });

  describe('the checker', () => {
    it('catches printing, exiting and changing directory in every spelling', () => {
      const text = [
        "console.log('done');",
        "console['error']('failed');",
        'const { warn } = console;',
        "process.stdout.write('x');",
        'process.stderr.write(`y`);',
        'process.exit(1);',
        'process.exitCode = 2;',
        "process['chdir']('/tmp');",
        'globalThis.console.info(1);',
        'globalThis.process.exit(3);',
        'const { exit, env } = process;',
      ].join('\n');
      expect(check('engine/bad.ts', text)).toEqual([
        '1: uses console.log',
        '2: uses console.error',
        '3: uses console.warn',
        '4: uses process.stdout',
        '5: uses process.stderr',
        '6: uses process.exit',
        '7: uses process.exitCode',
        '8: uses process.chdir',
        '9: uses console.info',
        '10: uses process.exit',
        '11: uses process.exit',
      ]);
    });

    it('follows the process object imported from node:process', () => {
      const text = [
        "import proc, { stdout as out } from 'node:process';",
        'import * as p from "process";',
        'proc.exit(0);',
        'p.chdir(dir);',
      ].join('\n');
      expect(check('aws/bad.ts', text)).toEqual(['1: imports process.stdout', '3: uses process.exit', '4: uses process.chdir']);
    });

    it('catches UI imports in every form', () => {
      const text = [
        "import ora from 'ora';",
        "import { select } from '@inquirer/prompts';",
        "import type { Command } from 'commander';",
        "import { TtyReporter } from '../../ui/tty.js';",
        "export { parseOptions } from '../../cli/options.js';",
        "const m = await import('../../cli/prompts.js');",
        "type Io = typeof import('../../ui/index.js');",
        "import core = require('@inquirer/core');",
        "import * as ui from '../../ui';",
        "const spinner = require('ora');",
      ].join('\n');
      expect(check('steps/network/bad.ts', text)).toEqual([
        '1: imports ora (a terminal UI library)',
        '2: imports @inquirer/prompts (a prompt library)',
        '3: imports commander (a terminal UI library)',
        '4: imports ../../ui/tty.js (the UI layer src/ui)',
        '5: imports ../../cli/options.js (the UI layer src/cli)',
        '6: imports ../../cli/prompts.js (the UI layer src/cli)',
        '7: imports ../../ui/index.js (the UI layer src/ui)',
        '8: imports @inquirer/core (a prompt library)',
        '9: imports ../../ui (the UI layer src/ui)',
        '10: imports ora (a terminal UI library)',
      ]);
    });

    it('ignores comments, strings, property names, lookalike paths and allowed process members', () => {
      const text = [
        "// console.log('debug'); process.exit(1); import ora from 'ora';",
        "/** Tags for the console. */ const why = 'see the AWS console: process.exit is not called';",
        "import { DockerCli } from '../docker/cli.js';",
        "import { uiHint } from '../ui-kit/hints.js';",
        "import { cliVersion } from './cli.js';",
        "import { load } from '../config/ora.js';",
        'const target = { console: true, exit: 1 };',
        'target.console = false;',
        'const pid = process.pid + Number(process.env.X);',
        'process.kill(pid, 0);',
        'const ok = this.process.exit;',
      ].join('\n');
      expect(check('engine/fine.ts', text)).toEqual([]);
    });
  });
});
