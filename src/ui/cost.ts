import type { CostEstimate } from '../engine/events.js';
import type { Style } from './format.js';

/** Pure text for a cost estimate (src/pricing): the plan, deploy's confirmation and init's summary show it. */

const identity = (s: string) => s;
const PLAIN_STYLE: Pick<Style, 'bold' | 'dim' | 'green' | 'yellow'> = { bold: identity, dim: identity, green: identity, yellow: identity };

/** "$12.30", "-$3.65" (dollars and cents). */
export function usd(n: number): string {
  return `${n < 0 ? '-' : ''}$${Math.abs(n).toFixed(2)}`;
}

/** "+$32.85", "-$3.65", "$0.00". */
export function signedUsd(n: number): string {
  return n > 0 ? `+${usd(n)}` : usd(n);
}

/**
 * The estimate as lines: one per resource with how it was worked out, the total, what the plan changes of it (the
 * delta, resource by resource), then the notes on what is usage-based. A region without price data says so in one line.
 */
export function formatCost(
  cost: CostEstimate,
  opts: { style?: Pick<Style, 'bold' | 'dim' | 'green' | 'yellow'>; command?: 'deploy' | 'teardown'; delta?: boolean } = {},
): string[] {
  const st = opts.style ?? PLAIN_STYLE;
  if (!cost.known) return [`Estimated cost: no price data for ${cost.region}.`];
  const width = Math.max(...cost.items.map((i) => i.resource.length), 5);
  const lines = [st.bold(`Estimated cost in ${cost.region}, per month (on-demand list prices of ${cost.pricesAsOf}, USD):`)];
  for (const item of cost.items) {
    const amount = item.monthly === undefined ? 'n/a' : usd(item.monthly);
    lines.push(`  ${item.resource.padEnd(width)}  ${amount.padStart(9)}  ${st.dim(item.basis)}`);
  }
  lines.push(st.bold(`  ${'Total'.padEnd(width)}  ${usd(cost.monthly ?? 0).padStart(9)}/month`));
  if (opts.delta !== false && cost.delta !== undefined) lines.push(...deltaLines(cost, opts.command ?? 'deploy', st));
  for (const note of cost.notes) lines.push(st.dim(`  Note: ${note}`));
  return lines;
}

function deltaLines(cost: CostEstimate, command: 'deploy' | 'teardown', st: Pick<Style, 'green' | 'yellow'>): string[] {
  const changes = cost.changes ?? [];
  const verb = command === 'teardown' ? 'Tearing down saves' : 'This change';
  if (changes.length === 0) return [`${verb}: ${usd(0)}/month (nothing it changes is priced differently).`];
  const total = cost.delta ?? 0;
  const paint = total > 0 ? st.yellow : st.green;
  const head = command === 'teardown' ? `${verb} ${usd(-total)}/month:` : `${verb}: ${paint(`${signedUsd(total)}/month`)}:`;
  return [head, ...changes.map((c) => `  ${signedUsd(c.monthly)}/month: ${c.resource}`)];
}

/** One line for init's summary: the total and the biggest items. */
export function costSummary(cost: CostEstimate): string {
  if (!cost.known) return `Estimated cost: no price data for ${cost.region}.`;
  const parts = cost.items
    .filter((i) => i.monthly !== undefined)
    .map((i) => `${i.resource} ${usd(i.monthly!)}`)
    .join(', ');
  return `Estimated cost: about ${usd(cost.monthly ?? 0)}/month in ${cost.region} (${parts}); run \`ecs-kit plan\` for the details.`;
}
