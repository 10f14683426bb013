import { describe, expect, it } from 'vitest';
import { buildInstances, type StepInstance } from '../../../src/engine/graph.js';
import { STEP_MODULES } from '../../../src/steps/index.js';
import { config } from '../../helpers/context.js';

/** Everything an instance waits for, directly or not, along `edges`. */
function waitsFor(instances: StepInstance[], id: string, edges: (i: StepInstance) => string[]): Set<string> {
  const byId = new Map(instances.map((i) => [i.id, i]));
  const seen = new Set<string>();
  const visit = (x: string) => {
    for (const d of edges(byId.get(x)!))
      if (!seen.has(d)) {
        seen.add(d);
        visit(d);
      }
  };
  visit(id);
  return seen;
}

const deploy = (i: StepInstance) => i.dependsOn;
const teardown = (i: StepInstance) => i.teardownDependsOn ?? i.dependsOn;

describe('the step graph of the production profile (what waits for the NAT gateways)', () => {
  const prod = config('app: shop\nnetwork: { profile: production }\nservices: { web: { image: nginx:1.27, port: 80 } }');
  const instances = buildInstances(prod, STEP_MODULES);
  const ids = instances.map((i) => i.id);

  it('has a nat step after the network', () => {
    expect(ids).toContain('nat');
    expect(instances.find((i) => i.id === 'nat')!.dependsOn).toEqual(['network']);
  });

  it('lets everything that does not route through the NAT go ahead while it is pending', () => {
    const ahead = ids.filter((id) => !waitsFor(instances, id, deploy).has('nat') && id !== 'nat');
    for (const id of ['load-balancer', 'target-group:web', 'cluster', 'execution-role', 'task-role:web', 'logs:web', 'task-definition:web'])
      expect(ahead, id).toContain(id);
    expect(ids.filter((id) => id !== 'nat' && waitsFor(instances, id, deploy).has('nat')).sort()).toEqual(
      ids.filter((id) => id.startsWith('service:') || id.startsWith('scaling:')).sort(),
    );
  });

  it('on teardown, the NAT gateways go beside the service and the load balancer; the network waits for all of them', () => {
    const service = instances.find((i) => i.id === 'service:web')!;
    expect(service.dependsOn).toContain('nat');
    expect(waitsFor(instances, 'service:web', teardown).has('nat')).toBe(false);
    expect(waitsFor(instances, 'load-balancer', teardown).has('nat')).toBe(false);
    // Reversed: the network is deleted after everything that depends on it, the nat step included.
    const dependents = instances.filter((i) => teardown(i).includes('network')).map((i) => i.id);
    expect(dependents).toContain('nat');
    expect(dependents).toContain('service:web');
  });

  it('has no nat step, and nothing waiting for one, in the learning profile', () => {
    const learning = buildInstances(config('app: shop\nservices: { web: { image: nginx:1.27, port: 80 } }'), STEP_MODULES);
    expect(learning.map((i) => i.id)).not.toContain('nat');
    for (const i of learning) expect(i.dependsOn).not.toContain('nat');
  });
});

describe('the step graph of an app with every kind of workload and a canary (issues 10 and 11 together)', () => {
  const yaml = [
    'app: shop',
    'services:',
    '  web: { image: nginx:1.27, port: 80, deployment: { strategy: canary } }',
    '  api: { image: api:1, port: 8080, internal: true }',
    '  jobs: { image: jobs:1, queue: {} }',
    '  nightly: { image: nightly:1, schedule: "rate(1 day)" }',
  ].join('\n');
  const ids = buildInstances(config(yaml), STEP_MODULES).map((i) => i.id);

  it('gives rollback alarms, a target group and the load-balancer role only to the service behind the load balancer', () => {
    expect(ids.filter((id) => id.startsWith('alarms:'))).toEqual(['alarms:web']);
    expect(ids.filter((id) => id.startsWith('target-group:'))).toEqual(['target-group:web']);
    expect(ids).not.toContain('service:nightly');
  });

  it('refuses a traffic-shifting strategy or its own alarms on an internal service (exit 2, naming the field)', () => {
    const internalCanary = yaml.replace('internal: true }', 'internal: true, deployment: { strategy: canary } }');
    expect(() => config(internalCanary)).toThrow(/services\.api\.deployment\.strategy: .*not behind the load balancer/);
    const internalAlarms = yaml.replace('internal: true }', 'internal: true, deployment: { alarms: true } }');
    expect(() => config(internalAlarms)).toThrow(/services\.api\.deployment\.alarms/);
  });
});
