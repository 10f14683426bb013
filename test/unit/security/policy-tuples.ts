/**
 * A policy's meaning as a set of "action resource condition" grants, independent of how the statements are grouped
 * or ordered. A condition with one operator and one key holds alternatives ("any of these values"), so it counts
 * as one grant per value; any other condition counts whole.
 */
type AnyStatement = {
  Effect?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
};

function conditionAlternatives(condition: AnyStatement['Condition']): string[] {
  if (!condition) return [''];
  const ops = Object.keys(condition);
  const keys = ops.length === 1 ? Object.keys(condition[ops[0]!]!) : [];
  if (keys.length === 1) return [condition[ops[0]!]![keys[0]!]!].flat().map((v) => `${ops[0]} ${keys[0]}=${v}`);
  return [JSON.stringify(condition)];
}

export function grants(document: { Statement: unknown[] }): Set<string> {
  const out = new Set<string>();
  for (const s of document.Statement as AnyStatement[]) {
    for (const action of [s.Action].flat())
      for (const resource of [s.Resource].flat())
        for (const condition of conditionAlternatives(s.Condition)) out.add(`${s.Effect} ${action} ${resource} ${condition}`.trim());
  }
  return out;
}
