/**
 * What `--help` shows besides commander's own usage and flag list: examples for each command (kept here, next to one
 * another, so every command has some and a test can check that), and the text wrapped to the terminal's width.
 */

type Example = readonly [command: string, what: string];

/** Examples per command, by its name as the command table spells it ("secret set" for a subcommand). */
export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  '': [
    ['ecs-kit init', 'answer a few questions; writes ecs-kit.yml'],
    ['ecs-kit deploy', 'show the plan with its monthly cost, ask, deploy, print the URL'],
    ['ecs-kit status', 'what runs now'],
    ['ecs-kit teardown', 'delete everything ecs-kit created for the app'],
    ['ecs-kit <command> --help', 'the flags and examples of one command'],
  ],
  init: [
    ['ecs-kit init', 'ask each question (in a terminal)'],
    ['ecs-kit init --yes --name shop --image nginx:1.27 --port 80', 'no questions: flags and defaults'],
    ['ecs-kit init --dockerfile ./Dockerfile -e LOG_LEVEL=info', 'build from a Dockerfile; -e sets a container variable'],
    ['ecs-kit init --network production --nat per-az --azs 3', 'private subnets behind one NAT gateway per zone'],
  ],
  deploy: [
    ['ecs-kit deploy', 'show the plan and its cost, ask, apply, wait for the rollout'],
    ['ecs-kit deploy --yes --env prod', 'no question; the prod environment'],
    ['ecs-kit deploy --dry-run --detailed-exitcode', 'the plan only; exit 3 when something would change'],
    ['ecs-kit deploy --yes --json | jq .', 'one JSON event per line (CI)'],
  ],
  teardown: [
    ['ecs-kit teardown', 'asks you to type the app name, then deletes'],
    ['ecs-kit teardown --yes --env staging', 'no question'],
  ],
  plan: [
    ['ecs-kit plan', 'what deploy would change, and what it costs per month'],
    ['ecs-kit plan --json | jq \'select(.type == "plan") | .cost\'', 'the cost estimate as data'],
  ],
  doctor: [
    ['ecs-kit doctor', 'read-only checks of the account before a first deploy'],
    ['ecs-kit doctor --env prod --json', 'one check event per line'],
  ],
  status: [
    ['ecs-kit status', 'every service: tasks, revisions, deployments, targets, URL'],
    ['ecs-kit status web', 'one service'],
  ],
  logs: [
    ['ecs-kit logs web --since 1h --filter ERROR', 'the last hour of one service, lines containing ERROR'],
    ['ecs-kit logs --follow', 'every service, interleaved, until Ctrl-C (exit 0)'],
  ],
  'run-task': [['ecs-kit run-task web -- npm run migrate', "a one-off task on the service's network; exits with its exit code"]],
  scale: [
    ['ecs-kit scale web --count 3', 'three tasks (within the autoscaling range)'],
    ['ecs-kit scale web --min 2 --max 10', 'change the autoscaling range'],
  ],
  rollback: [['ecs-kit rollback web', 'back to the revision deployed before this one']],
  secret: [['ecs-kit secret set web DB_PASSWORD', 'store a secret (value from stdin or a hidden prompt)']],
  'secret set': [
    ['printf %s "$DB_PASSWORD" | ecs-kit secret set web DB_PASSWORD', 'the value from stdin, never from argv'],
    ['ecs-kit secret set web DB_PASSWORD', 'in a terminal: a hidden prompt'],
  ],
  'secret list': [['ecs-kit secret list', 'names and where they live, never values']],
  'iam-policy': [
    ['ecs-kit iam-policy --account 123456789012', 'the least-privilege policy to run ecs-kit for this config'],
    ['ecs-kit iam-policy --split', 'split into managed policies that each fit 6,144 characters'],
  ],
  completion: [
    ['ecs-kit completion bash >> ~/.bashrc', 'bash: complete commands and flags'],
    ['ecs-kit completion zsh > "${fpath[1]}/_ecs-kit"', 'zsh'],
    ['ecs-kit completion fish > ~/.config/fish/completions/ecs-kit.fish', 'fish'],
  ],
  import: [['ecs-kit import copilot', 'write ecs-kit.yml from the Copilot manifests in ./copilot']],
  'import copilot': [
    ['ecs-kit import copilot', 'read ./copilot, write ./ecs-kit.yml, list what it could not map'],
    ['ecs-kit import copilot ../my-app --config ecs-kit.yml --force', 'another folder; overwrite'],
  ],
};

/** `text` in lines of at most `width` columns (words longer than that stay whole), each after `indent`. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** The "Examples:" section for a command, wrapped to `width` (the terminal's, else 80); empty without examples. */
export function examplesHelp(command: string, width = 80): string {
  const examples = EXAMPLES[command];
  if (!examples?.length) return '';
  const lines = ['', 'Examples:'];
  for (const [cmd, what] of examples) {
    lines.push(`  $ ${cmd}`);
    lines.push(...wrap(what, Math.max(width, 40), '      '));
  }
  return lines.join('\n');
}
