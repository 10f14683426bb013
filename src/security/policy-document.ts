import type { Condition, Statement } from './statements.js';

export interface DeployerPolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

/**
 * A customer managed policy holds at most 6,144 characters, white space not counted ("IAM and AWS STS quotas",
 * character limits: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). An inline policy on a
 * role may hold 10,240 (all of a role's inline policies together).
 */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/** The size IAM counts against its quotas: every character but white space. */
export function policySize(document: object): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

/** Operators under which a list of values means "any of them", so two statements' values may be joined. */
const ANY_OF_OPERATORS = new Set(['StringEquals', 'StringLike', 'ArnEquals', 'ArnLike']);

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];
const resourcesOf = (s: Statement): string[] => unique([s.Resource].flat());
const sorted = (items: readonly string[]): string[] => [...items].sort();

/** The same condition whatever the order of its operators, keys and values. */
function conditionKey(condition: Condition | undefined): string {
  if (!condition) return '';
  const ops = sorted(Object.keys(condition));
  return JSON.stringify(
    ops.map((op) => [op, sorted(Object.keys(condition[op]!)).map((key) => [key, sorted([condition[op]![key]!].flat())])]),
  );
}

/** The only operator and key of a condition whose values are alternatives, or undefined. */
function anyOfCondition(condition: Condition | undefined): { op: string; key: string; values: string[] } | undefined {
  const ops = Object.keys(condition ?? {});
  if (ops.length !== 1 || !ANY_OF_OPERATORS.has(ops[0]!)) return undefined;
  const keys = Object.keys(condition![ops[0]!]!);
  if (keys.length !== 1) return undefined;
  return { op: ops[0]!, key: keys[0]!, values: [condition![ops[0]!]![keys[0]!]!].flat() };
}

/** Join statements that share a key; the first one of each group keeps its Sid and its place. */
function joinBy(
  statements: Statement[],
  keyOf: (s: Statement) => string | undefined,
  join: (into: Statement, s: Statement) => void,
): Statement[] {
  const out: Statement[] = [];
  const byKey = new Map<string, Statement>();
  for (const s of statements) {
    const key = keyOf(s);
    const into = key === undefined ? undefined : byKey.get(key);
    if (into) {
      join(into, s);
      continue;
    }
    const copy: Statement = {
      ...s,
      Action: [...s.Action],
      Resource: resourcesOf(s),
      ...(s.Condition ? { Condition: structuredClone(s.Condition) } : {}),
    };
    if (key !== undefined) byKey.set(key, copy);
    out.push(copy);
  }
  return out;
}

/** Same Effect, Resource and Condition: one statement with both statements' actions. */
function joinActions(statements: Statement[]): Statement[] {
  return joinBy(
    statements,
    (s) => JSON.stringify([s.Effect, sorted(resourcesOf(s)), conditionKey(s.Condition)]),
    (into, s) => void into.Action.push(...s.Action),
  );
}

/** Same Effect, Action and Resource, and one "any of" condition key: one statement allowing either statement's values. */
function joinConditionValues(statements: Statement[]): Statement[] {
  return joinBy(
    statements,
    (s) => {
      const c = anyOfCondition(s.Condition);
      return c && JSON.stringify([s.Effect, sorted(unique(s.Action)), sorted(resourcesOf(s)), c.op, c.key]);
    },
    (into, s) => {
      const mine = anyOfCondition(into.Condition)!;
      into.Condition = { [mine.op]: { [mine.key]: unique([...mine.values, ...anyOfCondition(s.Condition)!.values]) } };
    },
  );
}

/** IAM requires each Sid to be unique within a policy: a second statement with a taken Sid gets a number. */
function uniqueSids(statements: Statement[]): Statement[] {
  const taken = new Set<string>();
  return statements.map((s) => {
    let sid = s.Sid;
    for (let n = 2; taken.has(sid); n++) sid = `${s.Sid}${n}`;
    taken.add(sid);
    return { ...s, Sid: sid };
  });
}

/**
 * The statements as one compact list that grants exactly the same (action, resource, condition) combinations:
 * statements with the same Effect, Resource and Condition become one, and so do statements that differ only in the
 * values of one "any of" condition key. Actions are sorted; a single resource is written as a string.
 */
export function mergeStatements(statements: readonly Statement[]): Statement[] {
  let merged = [...statements];
  for (let count = -1; count !== merged.length;) {
    count = merged.length;
    merged = joinConditionValues(joinActions(merged));
  }
  return uniqueSids(
    merged.map((s) => {
      const resources = resourcesOf(s);
      return { ...s, Action: unique(s.Action).sort(), Resource: resources.length === 1 ? resources[0]! : resources };
    }),
  );
}

/** A statement too large for one policy, halved by actions (or, for one action, by resources). */
function halves(s: Statement): [Statement, Statement] {
  const split = <T>(items: T[]): [T[], T[]] => [items.slice(0, Math.ceil(items.length / 2)), items.slice(Math.ceil(items.length / 2))];
  if (s.Action.length > 1) {
    const [a, b] = split(s.Action);
    return [
      { ...s, Action: a },
      { ...s, Action: b },
    ];
  }
  const resources = resourcesOf(s);
  if (resources.length < 2) throw new Error(`statement ${s.Sid} alone exceeds the policy size limit`);
  const [a, b] = split(resources);
  return [
    { ...s, Resource: a },
    { ...s, Resource: b },
  ];
}

function fitting(s: Statement, maxChars: number): Statement[] {
  if (policySize({ Version: '2012-10-17', Statement: [s] }) <= maxChars) return [s];
  const [a, b] = halves(s);
  return [...fitting({ ...a, Sid: `${s.Sid}A` }, maxChars), ...fitting({ ...b, Sid: `${s.Sid}B` }, maxChars)];
}

/**
 * The policy as documents of at most `maxChars` each (a managed policy by default), to attach side by side: together
 * they grant exactly what the one document grants. Statements are placed whole, in order, into the first document with
 * room; one that fits no document on its own is halved.
 */
export function splitPolicy(document: DeployerPolicyDocument, maxChars = MANAGED_POLICY_MAX_CHARS): DeployerPolicyDocument[] {
  if (policySize(document) <= maxChars) return [document];
  const parts: DeployerPolicyDocument[] = [];
  for (const piece of document.Statement.flatMap((s) => fitting(s, maxChars))) {
    const part = parts.find((p) => policySize({ ...p, Statement: [...p.Statement, piece] }) <= maxChars);
    if (part) part.Statement.push(piece);
    else parts.push({ Version: document.Version, Statement: [piece] });
  }
  return parts;
}
