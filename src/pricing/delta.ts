import type { Config } from '../config/schema.js';
import type { CostEstimate, CostItem, PlannedStepInfo } from '../engine/events.js';
import { estimateCost, natCount } from './estimate.js';

/**
 * What a plan changes of the monthly cost. The config as it runs now is the config with the "before" side of the
 * plan's changes (a task count or size, the network profile, NAT gateways added or removed, the instance type and
 * count); both are priced and compared resource by resource. A step the plan creates had no cost before; a teardown
 * takes every cost away.
 */

const round = (n: number) => Math.round(n * 100) / 100;

/** The value a field had before the plan, when the step changes it. */
function before(step: PlannedStepInfo | undefined, field: RegExp): unknown {
  return step?.changes.find((c) => field.test(c.field))?.before;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** NAT gateways before the plan: the plan adds "nat-gateway-N" fields and deletes extra "natGateway"s. */
function natsBefore(config: Config, network: PlannedStepInfo | undefined, profileBefore: string | undefined): number {
  if (profileBefore === 'learning' || profileBefore === 'existing') return 0;
  const now = profileBefore === 'production' && natCount(config) === 0 ? 1 : natCount(config);
  if (!network) return now;
  const added = network.changes.filter((c) => /^nat-gateway-\d+$/.test(c.field) && c.before === undefined).length;
  const removed = network.changes.filter((c) => c.field === 'natGateway').length;
  return Math.max(0, now - added + removed);
}

/** The config as it runs now, as far as the plan's changes tell, and the NAT gateways it has. */
function configBefore(config: Config, byId: ReadonlyMap<string, PlannedStepInfo>): { config: Config; nats: number } {
  const services = Object.fromEntries(
    Object.entries(config.services).map(([name, svc]) => {
      const service = byId.get(`service:${name}`);
      const td = byId.get(`task-definition:${name}`);
      const arch = before(td, /^runtimePlatform\.cpuArchitecture$/);
      return [
        name,
        {
          ...svc,
          desiredCount: num(before(service, /^desiredCount$/)) ?? svc.desiredCount,
          cpu: num(before(td, /^cpu$/)) ?? svc.cpu,
          memory: num(before(td, /^memory$/)) ?? svc.memory,
          ...(arch === 'ARM64' ? { cpuArchitecture: 'arm64' as const } : arch === 'X86_64' ? { cpuArchitecture: 'x86_64' as const } : {}),
        },
      ];
    }),
  );
  const network = byId.get('network');
  const profile = before(network, /^profile$/);
  const capacity = byId.get('capacity');
  const type = before(capacity, /^launchTemplate\.instanceType$/i);
  const desired = num(before(capacity, /^autoScalingGroup\.desired$/));
  const was: Config = {
    ...config,
    services,
    network: profile === 'learning' || profile === 'production' ? { ...config.network, profile } : config.network,
    ...(config.ec2
      ? {
          ec2: {
            ...config.ec2,
            ...(typeof type === 'string' ? { instanceType: type } : {}),
            ...(desired !== undefined ? { desired } : {}),
          },
        }
      : {}),
  };
  return { config: was, nats: natsBefore(config, network, typeof profile === 'string' ? profile : undefined) };
}

const key = (i: CostItem) => `${i.step}|${i.component}`;

/** The estimate with what the plan changes of it: `delta`, and the resources that make it up. */
export function withPlanDelta(
  estimate: CostEstimate,
  config: Config,
  steps: readonly PlannedStepInfo[],
  command: 'deploy' | 'teardown',
): CostEstimate {
  if (!estimate.known) return estimate;
  const byId = new Map(steps.map((s) => [s.id, s]));
  const inPlan = (i: CostItem) => byId.has(i.step);
  let beforeItems: CostItem[];
  let afterItems: CostItem[];
  if (command === 'teardown') {
    beforeItems = estimate.items.filter(inPlan);
    afterItems = [];
  } else {
    const was = configBefore(config, byId);
    // Steps the plan creates did not exist, so they cost nothing before it.
    beforeItems = estimateCost(was.config, estimate.region, { nats: was.nats }).items.filter(
      (i) => inPlan(i) && byId.get(i.step)!.action !== 'create',
    );
    afterItems = estimate.items.filter(inPlan);
  }
  const keys = [...new Set([...afterItems, ...beforeItems].map(key))];
  const changes: { resource: string; monthly: number }[] = [];
  for (const k of keys) {
    const after = afterItems.find((i) => key(i) === k);
    const prior = beforeItems.find((i) => key(i) === k);
    const diff = round((after?.monthly ?? 0) - (prior?.monthly ?? 0));
    if (diff !== 0) changes.push({ resource: (after ?? prior)!.resource, monthly: diff });
  }
  const notes = [...estimate.notes];
  if (command === 'deploy' && steps.some((s) => s.action === 'delete'))
    notes.push('The plan also deletes resources the config no longer has; what they cost goes away too (not in the change above).');
  return { ...estimate, delta: round(changes.reduce((sum, c) => sum + c.monthly, 0)), changes, notes };
}
