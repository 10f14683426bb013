import type { Command, Option } from 'commander';

/**
 * The command line as completion sees it, read from the program main.ts builds from the command table
 * (src/cli/commands/index.ts), global flags included: a new command or flag completes without touching this folder.
 */
export interface CompletionFlag {
  /** --long (and -s when there is one). */
  names: string[];
  description: string;
  /** Whether the next word is the flag's value. */
  takesValue: boolean;
  /** The values commander accepts (Option.choices), if it lists them. */
  choices: string[];
}

export interface CompletionNode {
  /** "" for the program, "secret set" for a subcommand. */
  path: string;
  description: string;
  subcommands: CompletionNode[];
  flags: CompletionFlag[];
}

function flagOf(o: Option): CompletionFlag {
  return {
    names: [o.long, o.short].filter((n): n is string => Boolean(n)),
    description: o.description,
    takesValue: o.required || o.optional,
    choices: [...(o.argChoices ?? [])],
  };
}

export function completionTree(cmd: Command, path = ''): CompletionNode {
  const helpFlag: CompletionFlag = { names: ['--help', '-h'], description: 'show help', takesValue: false, choices: [] };
  return {
    path,
    description: cmd.description(),
    subcommands: cmd.commands.map((c) => completionTree(c, path ? `${path} ${c.name()}` : c.name())),
    flags: [...cmd.options.filter((o) => !o.hidden).map(flagOf), helpFlag],
  };
}

/** Every node, the program first. */
export function allNodes(n: CompletionNode): CompletionNode[] {
  return [n, ...n.subcommands.flatMap(allNodes)];
}

export function lastWord(path: string): string {
  return path.split(' ').at(-1) ?? path;
}
