import type { Action, Change } from '../engine/types.js';
import { formatCost } from './cost.js';
import type { CheckStatus, EcsKitEvent, ErrorInfo, PlannedStepInfo, PlanSummary, ServiceStatusInfo } from '../engine/events.js';
import type { AwsCallInfo } from '../aws/clients.js';
import { diagnosisLines } from './diagnosis.js';

/** Pure text helpers shared by the reporters (and init). No I/O here. */

export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const ansi = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function makeStyle(color: boolean): Style {
  if (!color) {
    const id = (s: string) => s;
    return { green: id, red: id, yellow: id, cyan: id, dim: id, bold: id };
  }
  return { green: ansi(32, 39), red: ansi(31, 39), yellow: ansi(33, 39), cyan: ansi(36, 39), dim: ansi(2, 22), bold: ansi(1, 22) };
}

const PLAIN: Style = makeStyle(false);

const ACTION_SYMBOL: Record<Action, string> = {
  create: '+',
  update: '~',
  replace: '±',
  delete: '-',
  noop: ' ',
};

const PRESENT: Record<Action, string> = {
  create: 'Creating',
  update: 'Updating',
  replace: 'Replacing',
  delete: 'Deleting',
  noop: 'Checking',
};
const PAST: Record<Action, string> = { create: 'Created', update: 'Updated', replace: 'Replaced', delete: 'Deleted', noop: 'Checked' };

export const actionPresent = (a: Action): string => PRESENT[a];
export const actionPast = (a: Action): string => PAST[a];

import { formatDuration } from '../engine/duration.js';

export { formatDuration };

const MAX_VALUE = 80;

/** One change value on one line; objects as compact JSON, long values shortened. */
export function formatValue(v: unknown): string {
  let text: string;
  if (v === undefined || v === null) text = '(none)';
  else if (typeof v === 'string') text = v === '' ? '""' : v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') text = String(v);
  else {
    try {
      // Objects and arrays; JSON.stringify gives undefined only for functions and symbols, which never get here.
      text = JSON.stringify(v) ?? '(unprintable)';
    } catch {
      text = '(unprintable)';
    }
  }
  text = text.replace(/\s*\n\s*/g, ' ');
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function formatSummary(s: PlanSummary): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete.`;
}

function symbolStyle(action: Action, style: Style): (s: string) => string {
  switch (action) {
    case 'create':
      return style.green;
    case 'update':
    case 'replace':
      return style.yellow;
    case 'delete':
      return style.red;
    default:
      return style.dim;
  }
}

/** An ECS task definition ARN as people say it ("shop-default-web:3"); other values as they are. */
function shortValue(v: unknown): unknown {
  return typeof v === 'string' ? v.replace(/^arn:aws[a-z-]*:ecs:[^:]+:\d+:task-definition\/(.+)$/, '$1') : v;
}

/**
 * One changed field. An environment variable is named with what happened to it and never its value (values may be
 * sensitive; the steps do not even put them in the plan).
 */
function formatChange(c: Change, style: Style): string {
  const env = /^environment\.(.+)$/.exec(c.field)?.[1];
  if (env !== undefined) {
    const what = c.before === undefined ? 'added' : c.after === undefined ? 'removed' : 'changed';
    return `      environment variable ${env}: ${what} ${style.dim('(value not shown)')}`;
  }
  return `      ${c.field}: ${formatValue(shortValue(c.before))} ${style.dim('→')} ${formatValue(shortValue(c.after))}`;
}

function formatPlanStep(step: PlannedStepInfo, titles: ReadonlyMap<string, string>, style: Style = PLAIN): string[] {
  const sym = symbolStyle(step.action, style)(ACTION_SYMBOL[step.action]);
  // Said by title, not by step id; only for changes (every new step waits for another: nothing to say there), and with
  // no prediction of ids or revision numbers that AWS has not assigned yet.
  const waitsFor = step.pendingOn && step.action !== 'create' ? (titles.get(step.pendingOn) ?? undefined) : undefined;
  const after = waitsFor ? ` ${style.dim(`(follows the change to ${waitsFor})`)}` : '';
  const noop = step.action === 'noop' ? ` ${style.dim('(no change)')}` : '';
  const lines = [`  ${sym} ${step.title}${after}${noop}`];
  // Creates and deletes list no fields: everything is new or everything goes.
  if (step.action === 'update' || step.action === 'replace') {
    for (const c of step.changes) lines.push(formatChange(c, style));
  }
  return lines;
}

/** The plan table, the summary line and, when the event carries one, the monthly cost; no-op steps only when verbose. */
export function formatPlan(event: Extract<EcsKitEvent, { type: 'plan' }>, opts: { verbose: boolean; style?: Style }): string[] {
  const style = opts.style ?? PLAIN;
  const titles = new Map(event.steps.map((s) => [s.id, s.title]));
  const lines: string[] = [];
  for (const step of event.steps) {
    if (step.action === 'noop' && !opts.verbose) continue;
    lines.push(...formatPlanStep(step, titles, style));
  }
  lines.push(style.bold(formatSummary(event.summary)));
  if (event.cost) lines.push(...formatCost(event.cost, { style, command: event.command }));
  return lines;
}

/** An output's name for people: "URL (web)" for the url.web output; others as named. JSON keeps the name. */
export function outputLabel(name: string): string {
  const url = /^url\.(.+)$/.exec(name)?.[1];
  return url !== undefined ? `URL (${url})` : name;
}

/** Message (may span lines), then "Why:" and "Fix:" lines. */
export function formatError(
  info: Pick<ErrorInfo, 'message' | 'why' | 'fix' | 'diagnosis'>,
  opts: { prefix?: string; style?: Style; indent?: string } = {},
): string[] {
  const style = opts.style ?? PLAIN;
  const indent = opts.indent ?? '  ';
  const [first = '', ...rest] = info.message.split('\n');
  const lines = [`${opts.prefix ?? ''}${first}`, ...rest.map((l) => `${indent}${l}`)];
  // A multi-line why (e.g. a rollout diagnosis) stays indented under its label.
  const more = (text: string) => text.split('\n').join(`\n${indent}`);
  if (info.why) lines.push(`${indent}${style.bold('Why:')} ${more(info.why)}`);
  if (info.diagnosis) lines.push(...diagnosisLines(info.diagnosis).map((l) => `${indent}${l}`));
  if (info.fix) lines.push(`${indent}${style.bold('Fix:')} ${more(info.fix)}`);
  return lines;
}

/** A rollout diagnosis on its own: the verdict, then stopped tasks, targets, logs and the console link. */
export function formatDiagnosis(event: Extract<EcsKitEvent, { type: 'diagnosis' }>, style: Style = PLAIN): string[] {
  return [style.bold(`Diagnosis: ${event.summary}`), ...diagnosisLines(event).map((l) => `  ${l}`)];
}

/** True when the failure this diagnosis explains was already printed (its "why" holds the same text). */
export function diagnosisShown(shownErrors: Set<string>, event: Extract<EcsKitEvent, { type: 'diagnosis' }>): boolean {
  for (const key of shownErrors) if (key.endsWith(`\u0000${event.summary}`)) return true;
  return false;
}

export function formatAwsCall(call: AwsCallInfo): string {
  const write = call.mutating ? ' (write)' : '';
  const result = call.ok ? '' : ` failed: ${call.errorName ?? 'error'}`;
  return `aws ${call.service}.${call.operation}${write} ${formatDuration(call.durationMs)}${result}`;
}

export function formatRunStart(e: Extract<EcsKitEvent, { type: 'run.start' }>): string {
  const verbs: Record<string, string> = {
    deploy: 'Deploying',
    teardown: 'Tearing down',
    plan: 'Planning',
    scale: 'Scaling',
    rollback: 'Rolling back',
    continue: 'Continuing the rollout of',
    abort: 'Rolling back the rollout of',
  };
  const verb = verbs[e.command] ?? `Running ${e.command} for`;
  return `${verb} ${e.app} (env ${e.env}) in ${e.region}, account ${e.account}`;
}

const NO_CHANGES = 'No changes. AWS already matches ecs-kit.yml.';

export function formatRunDone(e: Extract<EcsKitEvent, { type: 'run.done' }>): string {
  const took = formatDuration(e.durationMs);
  switch (e.outcome) {
    case 'no-changes':
      return NO_CHANGES;
    case 'applied': {
      const verb = e.command === 'deploy' ? 'Deployed' : e.command === 'teardown' ? 'Torn down' : 'Done';
      return `${verb} in ${took}: ${e.calls} AWS call${e.calls === 1 ? '' : 's'}, ${e.mutatingCalls} of them changing something.`;
    }
    case 'empty':
      return e.command === 'teardown'
        ? 'Nothing to tear down: ecs-kit has no resources recorded for this app and environment.'
        : 'Nothing to do.';
    case 'failed':
      return `Failed after ${took}.`;
    case 'aborted':
      return `Aborted after ${took}.`;
    case 'planned':
      return 'Plan only: nothing was changed. Run `ecs-kit deploy` to apply it.';
    case 'paused':
      return `Paused after ${took}: the rollout waits at a pause hook. \`ecs-kit continue\` goes on, \`ecs-kit abort\` rolls back.`;
    case 'stage-reached':
      return `Returned after ${took} at the stage --wait-until asked for; ECS goes on with the rollout (\`ecs-kit status\`).`;
  }
}

/** Where a run.done line belongs: results on stdout, failures on stderr. */
export function runDoneIsResult(e: Extract<EcsKitEvent, { type: 'run.done' }>): boolean {
  return ['no-changes', 'applied', 'empty', 'planned', 'paused', 'stage-reached'].includes(e.outcome);
}

/** Cut a single line to fit a terminal width (spinner text must not wrap). */
export function fitLine(text: string, columns: number | undefined): string {
  if (!columns || columns < 20) return text;
  const max = columns - 3; // spinner frame + space
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Key for recognising the final 'error' event that repeats a step.failed already shown. */
export function errorKey(info: Pick<ErrorInfo, 'code' | 'message'>): string {
  return `${info.code}\u0000${info.message}`;
}

/** `status`: one block per service — counts, revisions, deployments, targets, URL. */
export function formatStatus(event: Extract<EcsKitEvent, { type: 'status' }>, style: Style = PLAIN): string[] {
  const lines: string[] = [];
  for (const svc of event.services) lines.push(...formatServiceStatus(svc, style));
  if (event.services.length === 0) lines.push('No services in ecs-kit.yml.');
  return lines;
}

function formatServiceStatus(s: ServiceStatusInfo, style: Style): string[] {
  if (s.schedule) return formatJobStatus(s, style);
  if (!s.exists) return [`${style.bold(s.service)}: not deployed (no ECS service ${s.service} in cluster ${s.cluster})`];
  const healthy = s.running === s.desired && (s.pending ?? 0) === 0;
  const counts = `${s.running ?? 0}/${s.desired ?? 0} running, ${s.pending ?? 0} pending`;
  const lines = [
    `${style.bold(s.service)}: ${(healthy ? style.green : style.yellow)(counts)}${s.status && s.status !== 'ACTIVE' ? ` (${s.status})` : ''}`,
  ];
  lines.push(
    `  task definition: ${s.taskDefinition ?? '(unknown)'}${s.previousTaskDefinition ? style.dim(` (previous: ${s.previousTaskDefinition})`) : ''}`,
  );
  for (const d of s.deployments) {
    const rollout = d.rolloutState ? ` ${d.rolloutState}${d.rolloutStateReason ? `: ${d.rolloutStateReason}` : ''}` : '';
    const failed = d.failed ? `, ${d.failed} failed` : '';
    lines.push(
      `  deployment ${d.status.toLowerCase()} ${d.taskDefinition}: ${d.running}/${d.desired} running, ${d.pending} pending${failed}${rollout}`,
    );
  }
  if (s.targets.length === 0 && s.url) lines.push(`  targets: none registered`);
  for (const t of s.targets) {
    const why = t.description ?? t.reason;
    const state = t.state === 'healthy' ? style.green(t.state) : style.yellow(t.state);
    lines.push(`  target ${t.id}${t.port ? `:${t.port}` : ''} ${state}${why ? ` — ${why}` : ''}`);
  }
  if (s.url) lines.push(`  url: ${style.cyan(s.url)}`);
  if (s.internalUrl) lines.push(`  internal url: ${style.cyan(s.internalUrl)} (the app's services only)`);
  if (s.queue) {
    const q = s.queue;
    const dead = q.deadLetters ? style.yellow(`, ${q.deadLetters} in the dead-letter queue`) : '';
    lines.push(`  queue ${q.name}: ${q.visible} waiting, ${q.inFlight} in flight${dead}`);
  }
  for (const e of s.events) lines.push(style.dim(`  event: ${e}`));
  return lines;
}

/** A scheduled job: its schedule and next run, the revision it runs and its last runs with exit codes. */
function formatJobStatus(s: ServiceStatusInfo, style: Style): string[] {
  const j = s.schedule!;
  const state = j.state === 'ENABLED' ? style.green('scheduled') : style.yellow(j.state.toLowerCase());
  const lines = [`${style.bold(s.service)}: ${state} ${j.expression} (${j.timezone})`];
  lines.push(`  next run: ${j.nextRun ?? '(none)'}`);
  if (j.taskDefinition) lines.push(`  task definition: ${j.taskDefinition}`);
  if (j.lastRuns.length === 0) lines.push(style.dim('  last runs: none that ECS still lists (it keeps stopped tasks about an hour)'));
  for (const r of j.lastRuns) {
    const exit = r.exitCode === undefined ? '' : r.exitCode === 0 ? style.green(' exit 0') : style.red(` exit ${r.exitCode}`);
    const when = r.startedAt ?? r.stoppedAt ?? '';
    lines.push(
      `  run ${r.taskId.slice(0, 12)} ${r.lastStatus.toLowerCase()}${exit}${when ? style.dim(` ${when}`) : ''}${r.reason ? ` — ${r.reason}` : ''}`,
    );
  }
  return lines;
}

/** `logs` / `run-task`: the log's own time, then which task wrote it. */
export function formatLog(event: Extract<EcsKitEvent, { type: 'log' }>, style: Style = PLAIN): string {
  return `${style.dim(event.timestamp)} ${style.cyan(`${event.service}/${event.taskId.slice(0, 12)}`)} ${event.message.replace(/\n$/, '')}`;
}

const CHECK_LABEL: Record<CheckStatus, string> = { ok: 'OK  ', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const CHECK_SYMBOL: Record<CheckStatus, string> = { ok: '✔', warn: '⚠', fail: '✖', skip: '–' };
/** Wide enough for the longest check name (service-linked-roles). */
const CHECK_NAME_WIDTH = 20;

/**
 * `doctor`: one check as a line (status, name, what was found), its per-item details and,
 * for warn/fail, the fix. `symbols` picks ✔/⚠/✖/– (terminal) over OK/WARN/FAIL/SKIP (logs).
 */
export function formatCheck(event: Extract<EcsKitEvent, { type: 'check' }>, opts: { style?: Style; symbols?: boolean } = {}): string[] {
  const style = opts.style ?? PLAIN;
  const paint =
    event.status === 'ok' ? style.green : event.status === 'warn' ? style.yellow : event.status === 'fail' ? style.red : style.dim;
  const mark = paint(opts.symbols ? CHECK_SYMBOL[event.status] : CHECK_LABEL[event.status]);
  const lines = [`${mark} ${event.name.padEnd(CHECK_NAME_WIDTH)} ${event.message}`];
  // Under the message: mark (1 or 4 wide), a space, the padded name, a space.
  const indent = ' '.repeat((opts.symbols ? 2 : 5) + CHECK_NAME_WIDTH + 1);
  for (const d of event.details ?? []) lines.push(`${indent}${style.dim(d)}`);
  if (event.fix && (event.status === 'warn' || event.status === 'fail')) lines.push(`${indent}${style.bold('Fix:')} ${event.fix}`);
  return lines;
}

export function formatCheckSummary(e: Extract<EcsKitEvent, { type: 'check.summary' }>): string {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const counts = `${e.ok} ok, ${plural(e.warn, 'warning', 'warnings')}, ${e.fail} failed, ${e.skip} skipped`;
  const verdict =
    e.fail > 0 ? 'Fix the failed checks before deploying.' : e.warn > 0 ? 'Deploy should work; read the warnings.' : 'Ready to deploy.';
  return `Doctor: ${counts}. ${verdict} (read-only: ${plural(e.calls, 'AWS call', 'AWS calls')}, ${e.mutatingCalls} changing anything)`;
}
