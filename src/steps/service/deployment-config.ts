import type { DeploymentConfiguration, DeploymentLifecycleHook, DeploymentLifecycleHookStage } from '@aws-sdk/client-ecs';
import { z } from 'zod';
import { isPublic } from '../../config/services.js';

/**
 * `services.<name>.deployment`: how ECS rolls out a new revision (issue 10). ECS itself does rolling, blue/green,
 * linear and canary deployments (deploymentConfiguration.strategy; ECS API reference, DeploymentConfiguration,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html), with a bake time,
 * lifecycle hooks and CloudWatch-alarm rollback. This module is the config's schema, its cross-field rules, and the
 * deploymentConfiguration it becomes; config/schema.ts only plugs the field in.
 */

export const STRATEGIES = ['rolling', 'blue-green', 'linear', 'canary'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** ECS's names for them. */
export const ECS_STRATEGY = { rolling: 'ROLLING', 'blue-green': 'BLUE_GREEN', linear: 'LINEAR', canary: 'CANARY' } as const;

/**
 * Where a PAUSE hook may stop the deployment, named by what comes next. ECS refuses PAUSE hooks at TEST_TRAFFIC_SHIFT and
 * PRODUCTION_TRAFFIC_SHIFT themselves ("These stages are only valid for AWS_LAMBDA hooks", DeploymentLifecycleHook), so
 * "before production-traffic-shift" is PRE_PRODUCTION_TRAFFIC_SHIFT, which linear and canary deployments run before
 * every traffic shift step (ECS API reference, DeploymentLifecycleHook `lifecycleStages`).
 */
export const PAUSE_STAGES = {
  'scale-up': 'PRE_SCALE_UP',
  'test-traffic-shift': 'POST_SCALE_UP',
  'production-traffic-shift': 'PRE_PRODUCTION_TRAFFIC_SHIFT',
  bake: 'POST_PRODUCTION_TRAFFIC_SHIFT',
} as const satisfies Record<string, DeploymentLifecycleHookStage>;
export type PauseStage = keyof typeof PAUSE_STAGES;

/** bakeTimeInMinutes, canaryBakeTimeInMinutes, stepBakeTimeInMinutes: 0 to 1440 minutes (ECS API reference). */
const minutes = (what: string) =>
  z
    .number({ error: `${what} must be a number of minutes` })
    .int(`${what} must be a whole number of minutes`)
    .min(0, `${what} must be between 0 and 1440 (24 hours)`)
    .max(1440, `${what} must be between 0 and 1440 (24 hours)`);

/** canaryPercent: multiples of 0.1 from 0.1 to 100; stepPercent: multiples of 0.1 from 3 to 100 (ECS API reference). */
const percent = (min: number) =>
  z
    .number({ error: 'must be a number' })
    .min(min, `must be between ${min} and 100`)
    .max(100, `must be between ${min} and 100`)
    .refine((v) => Math.abs(v * 10 - Math.round(v * 10)) < 1e-9, 'must be a multiple of 0.1 (ECS takes one decimal place)');

const canarySchema = z.strictObject({
  /** canaryPercent; ECS's default is 5. */
  percent: percent(0.1).default(5).describe('Share of production traffic on the new revision first (ECS canaryPercent, default 5).'),
  /** canaryBakeTimeInMinutes; ECS's default is 10. */
  bakeMinutes: minutes('canary.bakeMinutes').default(10).describe('Minutes the canary share runs before the rest shifts (ECS default 10).'),
});

const linearSchema = z.strictObject({
  /** stepPercent; ECS's default is 10. */
  stepPercent: percent(3).default(10).describe('Share of production traffic moved per step (ECS stepPercent, default 10).'),
  /** stepBakeTimeInMinutes; ECS's default is 6. */
  stepBakeMinutes: minutes('linear.stepBakeMinutes').default(6).describe('Minutes between steps (ECS stepBakeTimeInMinutes, default 6).'),
});

const ALARM_NAME_RE = /^[^\s,][^,]{0,254}$/;

export const deploymentField = z
  .strictObject({
    strategy: z
      .enum(STRATEGIES, { error: `must be one of ${STRATEGIES.join(', ')}` })
      .default('rolling')
      .describe('rolling (default), blue-green, linear or canary: how ECS moves tasks and traffic to a new revision.'),
    /** blue-green/linear/canary: both revisions run this long after the full shift (bakeTimeInMinutes). */
    bakeMinutes: minutes('bakeMinutes')
      .optional()
      .describe('blue-green/linear/canary: minutes both revisions run after the full shift (0-1440).'),
    canary: canarySchema.optional().describe('strategy: canary only: the first share and how long it bakes.'),
    linear: linearSchema.optional().describe('strategy: linear only: the step size and the wait between steps.'),
    /**
     * Roll back when an alarm fires: true (ecs-kit's own alarms on the target group; the default for services behind the
     * load balancer), false, or a list of existing CloudWatch alarm names to watch as well.
     */
    alarms: z
      .union([z.boolean(), z.array(z.string().regex(ALARM_NAME_RE, 'must be CloudWatch alarm names (no commas)')).min(1).max(10)], {
        error: 'must be true, false or a list of CloudWatch alarm names',
      })
      .optional()
      .describe('Roll back when an alarm fires: true (ecs-kit alarms on the target group), false, or alarm names to watch too.'),
    /** PAUSE lifecycle hooks: the deployment waits before these stages until `ecs-kit continue` (or `abort`). */
    pauseBefore: z
      .array(
        z.enum(Object.keys(PAUSE_STAGES) as [PauseStage, ...PauseStage[]], { error: `must list ${Object.keys(PAUSE_STAGES).join(', ')}` }),
      )
      .optional()
      .describe('PAUSE hooks: the rollout waits before these stages until `ecs-kit continue` (or `abort`).'),
    /**
     * blue-green/linear/canary: an HTTP listener on this port of the shared load balancer whose rule ECS points at the new
     * revision before production traffic moves (the test listener rule, AdvancedConfiguration.testListenerRule).
     */
    testPort: z
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be between 1 and 65535')
      .max(65535, 'must be between 1 and 65535')
      .optional()
      .describe(
        'blue-green/linear/canary: a load balancer port (not 80/443) where the new revision answers before production traffic shifts; open only to loadBalancer.allowedCidrs.',
      ),
    /** Rolling only: the share of desiredCount that stays running during a deployment (minimumHealthyPercent). */
    minHealthyPercent: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be between 0 and 100')
      .max(100, 'must be between 0 and 100')
      .optional()
      .describe('Rolling only: share of desiredCount kept running during a deployment (minimumHealthyPercent).'),
    /** The most tasks, as a share of desiredCount, a deployment may run (maximumPercent). */
    maxPercent: z
      .number()
      .int('must be a whole number')
      .min(100, 'must be between 100 and 200')
      .max(200, 'must be between 100 and 200')
      .optional()
      .describe('Most tasks, as a share of desiredCount, a deployment may run (maximumPercent).'),
  })
  .default({ strategy: 'rolling' });

export type DeploymentSettings = z.output<typeof deploymentField>;

/** `services.<name>.exec`: ECS Exec into the service's containers (enableExecuteCommand). */
export const execField = z.boolean({ error: 'must be true or false' }).default(false);

interface ServiceLike {
  port?: number | undefined;
  /** Internal services and scheduled jobs have no load balancer to shift traffic on (config/services.ts isPublic). */
  internal?: boolean | undefined;
  schedule?: string | undefined;
  deployment: DeploymentSettings;
}

interface Problem {
  path: (string | number)[];
  message: string;
}

/** Combinations one field cannot judge alone; each problem names the field and the fix. Pure. */
export function checkDeploymentRules(services: Record<string, ServiceLike>): Problem[] {
  const problems: Problem[] = [];
  /** Each test listener is a port of the one shared load balancer: one service per port. */
  const testPorts = new Map<number, string>();
  for (const [name, svc] of Object.entries(services)) {
    const at = ['services', name, 'deployment'];
    const d = svc.deployment;
    const add = (field: string, message: string) => problems.push({ path: [...at, field], message });
    const shifting = d.strategy !== 'rolling';
    if (d.canary && d.strategy !== 'canary') add('canary', `is for strategy: canary, not ${d.strategy}; remove it or set strategy: canary`);
    if (d.linear && d.strategy !== 'linear') add('linear', `is for strategy: linear, not ${d.strategy}; remove it or set strategy: linear`);
    if (!shifting) {
      if (d.bakeMinutes !== undefined) add('bakeMinutes', 'is for blue-green, linear and canary; a rolling deployment has no bake time');
      if (d.pauseBefore?.length)
        add('pauseBefore', 'needs strategy blue-green, linear or canary (ECS runs lifecycle hooks only for those)');
      if (d.testPort !== undefined)
        add('testPort', 'needs strategy blue-green, linear or canary (a rolling deployment has no test traffic); remove it');
    } else {
      if (!isPublic(svc))
        add(
          'strategy',
          `${d.strategy} shifts load balancer traffic, and this service is not behind the load balancer (a worker, an internal service or a job); use rolling, or give it a port and keep it public`,
        );
      if (d.minHealthyPercent !== undefined)
        add(
          'minHealthyPercent',
          `is for rolling deployments; ${d.strategy} keeps the whole old revision until the new one has all traffic`,
        );
    }
    if (shifting && d.testPort !== undefined) {
      if (d.testPort === 80 || d.testPort === 443)
        add('testPort', 'must not be 80 or 443 (the production listeners); use another port such as 8080');
      else if (testPorts.has(d.testPort))
        add('testPort', `${d.testPort} is already the testPort of service ${testPorts.get(d.testPort)}; give each service its own port`);
      else testPorts.set(d.testPort, name);
    }
    if (d.alarms === true && !isPublic(svc))
      add(
        'alarms',
        "a service without the load balancer has no load balancer metrics for ecs-kit's alarms; list the names of your own CloudWatch alarms, or set false",
      );
    if (d.minHealthyPercent !== undefined && d.maxPercent !== undefined && d.maxPercent <= d.minHealthyPercent)
      add('maxPercent', `must be greater than minHealthyPercent (${d.minHealthyPercent}) or no task can be replaced`);
  }
  return problems;
}

/** Whether ecs-kit creates its own alarms for the service: by default for every service behind the load balancer. */
export function wantsOwnAlarms(svc: ServiceLike): boolean {
  return isPublic(svc) && svc.deployment.alarms !== false;
}

/** Alarm names the config lists (alarms that exist outside ecs-kit, watched but never created or deleted). */
export function listedAlarms(svc: ServiceLike): string[] {
  return Array.isArray(svc.deployment.alarms) ? svc.deployment.alarms : [];
}

/** Whether the strategy shifts traffic between two target groups (every strategy but rolling). */
export function shiftsTraffic(svc: Pick<ServiceLike, 'deployment'> & Parameters<typeof isPublic>[0]): boolean {
  return isPublic(svc) && svc.deployment.strategy !== 'rolling';
}

/** The load balancer port of the service's test listener, if it has one (blue-green/linear/canary only). */
export function testPortOf(svc: Pick<ServiceLike, 'deployment'> & { port?: number | undefined }): number | undefined {
  return shiftsTraffic(svc) ? svc.deployment.testPort : undefined;
}

/** The bake time ECS gets for blue-green/linear/canary: the config's, else 5 minutes (BLUE_GREEN requires one). */
export const DEFAULT_BAKE_MINUTES = 5;

/** The deploymentConfiguration ECS gets for a service: strategy, bake time, canary/linear, PAUSE hooks and alarms. */
export function deploymentConfigurationFor(svc: ServiceLike, alarmNames: string[]): DeploymentConfiguration {
  const d = svc.deployment;
  const strategy = isPublic(svc) ? d.strategy : 'rolling';
  const config: DeploymentConfiguration = {
    // The circuit breaker is the rolling mechanism (ECS API reference, DeploymentCircuitBreaker); ECS keeps it for
    // the others' scale-up, so ecs-kit keeps it on everywhere, as before.
    deploymentCircuitBreaker: { enable: true, rollback: true },
    maximumPercent: d.maxPercent ?? 200,
    minimumHealthyPercent: strategy === 'rolling' ? (d.minHealthyPercent ?? 100) : 100,
    strategy: ECS_STRATEGY[strategy],
    ...(alarmNames.length ? { alarms: { alarmNames, enable: true, rollback: true } } : {}),
  };
  if (strategy === 'rolling') return config;
  config.bakeTimeInMinutes = d.bakeMinutes ?? DEFAULT_BAKE_MINUTES;
  if (strategy === 'canary') {
    const c = d.canary ?? { percent: 5, bakeMinutes: 10 };
    config.canaryConfiguration = { canaryPercent: c.percent, canaryBakeTimeInMinutes: c.bakeMinutes };
  }
  if (strategy === 'linear') {
    const l = d.linear ?? { stepPercent: 10, stepBakeMinutes: 6 };
    config.linearConfiguration = { stepPercent: l.stepPercent, stepBakeTimeInMinutes: l.stepBakeMinutes };
  }
  config.lifecycleHooks = pauseHooks(d.pauseBefore ?? []);
  return config;
}

/**
 * What UpdateService gets: the same, with alarms switched off explicitly when none are wanted (UpdateService leaves
 * out what it is not given, so an alarm removed from the config would otherwise still be watched).
 */
export function forUpdate(config: DeploymentConfiguration): DeploymentConfiguration {
  return config.alarms ? config : { ...config, alarms: { alarmNames: [], enable: false, rollback: false } };
}

/** One PAUSE hook for the stages asked for (an empty list removes ecs-kit's hooks). */
export function pauseHooks(before: readonly PauseStage[]): DeploymentLifecycleHook[] {
  if (before.length === 0) return [];
  const stages = [...new Set(before)].map((s) => PAUSE_STAGES[s]);
  return [{ targetType: 'PAUSE', lifecycleStages: stages }];
}
