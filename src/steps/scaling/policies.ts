import type { PutScalingPolicyCommandInput, ScalingPolicy, StepAdjustment } from '@aws-sdk/client-application-auto-scaling';
import type { ServiceConfig } from '../../config/schema.js';
import type { Change } from '../../engine/types.js';

/*
 * The scaling policies a service's autoscaling block asks for (pure): target tracking on CPU, memory and load balancer
 * requests per task, and step scaling on a queue worker's backlog. Compared field by field with what exists.
 */

export const COOLDOWN_SECONDS = 60;

export type Metric = 'cpu' | 'memory' | 'requests' | 'backlog';

export interface WantedPolicy {
  metric: Metric;
  name: string;
  /** The PutScalingPolicy fields beyond the target's ids. */
  body: Pick<PutScalingPolicyCommandInput, 'PolicyType' | 'TargetTrackingScalingPolicyConfiguration' | 'StepScalingPolicyConfiguration'>;
  /** How the plan names it when it is new. */
  describe: string;
}

const PREDEFINED = {
  cpu: 'ECSServiceAverageCPUUtilization',
  memory: 'ECSServiceAverageMemoryUtilization',
  requests: 'ALBRequestCountPerTarget',
} as const;

/** How the plan names each target's field (targetCpu is what every earlier plan said). */
const TARGET_FIELD = { cpu: 'targetCpu', memory: 'targetMemory', requests: 'requestsPerTarget' } as const;

function tracking(metric: 'cpu' | 'memory' | 'requests', name: string, target: number, resourceLabel?: string): WantedPolicy {
  const unit = metric === 'requests' ? ' requests per task per minute' : `% ${metric === 'cpu' ? 'CPU' : 'memory'}`;
  return {
    metric,
    name,
    describe: `${name} (${metric === 'requests' ? '' : 'average '}${target}${unit})`,
    body: {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: target,
        PredefinedMetricSpecification: {
          PredefinedMetricType: PREDEFINED[metric],
          ...(resourceLabel ? { ResourceLabel: resourceLabel } : {}),
        },
        ScaleInCooldown: COOLDOWN_SECONDS,
        ScaleOutCooldown: COOLDOWN_SECONDS,
      },
    },
  };
}

/** At most this many steps; a larger max groups task counts into wider steps (rounded up). */
const MAX_STEPS = 19;

/**
 * Backlog per task as exact task counts: no visible message → min (0 allowed: scale to zero); up to backlogPerTask → 1
 * task; up to 2×backlogPerTask → 2; … up to max. The alarm (alarm.ts) is on ApproximateNumberOfMessagesVisible with
 * threshold 0, so the step bounds are message counts; an Auto Scaling alarm action runs again every minute while the
 * alarm stays in ALARM (CloudWatch User Guide, "Alarm actions"), so the count follows the backlog both ways.
 */
export function backlogSteps(min: number, max: number, perTask: number): StepAdjustment[] {
  const n = Math.min(max, MAX_STEPS);
  const caps = [...new Set(Array.from({ length: n }, (_, i) => Math.ceil(((i + 1) * max) / n)))];
  const steps: StepAdjustment[] = [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1, ScalingAdjustment: min }];
  let prev = 0;
  caps.forEach((cap, i) => {
    const last = i === caps.length - 1;
    steps.push({
      MetricIntervalLowerBound: prev * perTask + 1,
      ...(last ? {} : { MetricIntervalUpperBound: cap * perTask + 1 }),
      ScalingAdjustment: Math.max(cap, min),
    });
    prev = cap;
  });
  return steps;
}

export function wantedPolicies(
  svc: ServiceConfig,
  names: { policy: (metric: Metric) => string },
  o: { requestsLabel?: string },
): WantedPolicy[] {
  const a = svc.autoscaling;
  if (!a) return [];
  const out: WantedPolicy[] = [];
  if (a.targetCpu !== undefined) out.push(tracking('cpu', names.policy('cpu'), a.targetCpu));
  if (a.targetMemory !== undefined) out.push(tracking('memory', names.policy('memory'), a.targetMemory));
  if (a.requestsPerTarget !== undefined) out.push(tracking('requests', names.policy('requests'), a.requestsPerTarget, o.requestsLabel));
  if (a.backlogPerTask !== undefined) {
    out.push({
      metric: 'backlog',
      name: names.policy('backlog'),
      describe: `${names.policy('backlog')} (${a.backlogPerTask} visible messages per task, ${a.min}–${a.max} tasks)`,
      body: {
        PolicyType: 'StepScaling',
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'ExactCapacity',
          MetricAggregationType: 'Maximum',
          Cooldown: COOLDOWN_SECONDS,
          StepAdjustments: backlogSteps(a.min, a.max, a.backlogPerTask),
        },
      },
    });
  }
  return out;
}

/** What differs between an existing policy and the wanted one; only fields the API returned can differ. */
export function policyChanges(policy: ScalingPolicy | undefined, w: WantedPolicy): Change[] {
  if (!policy) return [{ field: 'scalingPolicy', after: w.describe }];
  const changes: Change[] = [];
  const wantedType = w.body.PolicyType;
  if (policy.PolicyType !== wantedType) changes.push({ field: 'policyType', before: policy.PolicyType, after: wantedType });
  if (w.metric === 'backlog') {
    const want = w.body.StepScalingPolicyConfiguration!;
    const cfg = policy.StepScalingPolicyConfiguration;
    const steps = (s: StepAdjustment[] | undefined) =>
      (s ?? []).map((x) => `${x.MetricIntervalLowerBound ?? ''}..${x.MetricIntervalUpperBound ?? ''}=${x.ScalingAdjustment}`);
    if (JSON.stringify(steps(cfg?.StepAdjustments)) !== JSON.stringify(steps(want.StepAdjustments)))
      changes.push({ field: 'backlogSteps', before: steps(cfg?.StepAdjustments), after: steps(want.StepAdjustments) });
    if (cfg?.AdjustmentType !== want.AdjustmentType)
      changes.push({ field: 'adjustmentType', before: cfg?.AdjustmentType, after: want.AdjustmentType });
    if (cfg?.Cooldown !== undefined && cfg.Cooldown !== want.Cooldown)
      changes.push({ field: 'cooldown', before: cfg.Cooldown, after: want.Cooldown });
    return changes;
  }
  const want = w.body.TargetTrackingScalingPolicyConfiguration!;
  const cfg = policy.TargetTrackingScalingPolicyConfiguration;
  if (cfg?.TargetValue !== want.TargetValue)
    changes.push({ field: TARGET_FIELD[w.metric], before: cfg?.TargetValue, after: want.TargetValue });
  const metric = cfg?.PredefinedMetricSpecification?.PredefinedMetricType;
  const wantedMetric = want.PredefinedMetricSpecification!.PredefinedMetricType;
  if (metric !== wantedMetric) changes.push({ field: 'metric', before: metric, after: wantedMetric });
  const label = want.PredefinedMetricSpecification!.ResourceLabel;
  if (label && cfg?.PredefinedMetricSpecification?.ResourceLabel !== label)
    changes.push({ field: 'resourceLabel', before: cfg?.PredefinedMetricSpecification?.ResourceLabel, after: label });
  // AWS omits cooldowns it was never given; only a returned value can differ.
  const cooldown = (field: string, actual: number | undefined) => {
    if (actual !== undefined && actual !== COOLDOWN_SECONDS) changes.push({ field, before: actual, after: COOLDOWN_SECONDS });
  };
  cooldown('scaleInCooldown', cfg?.ScaleInCooldown);
  cooldown('scaleOutCooldown', cfg?.ScaleOutCooldown);
  return changes;
}

/** ALBRequestCountPerTarget's ResourceLabel: app/<lb name>/<lb id>/targetgroup/<tg name>/<tg id>, from the two ARNs. */
export function requestsLabel(loadBalancerArn: string, targetGroupArn: string): string {
  const lb = loadBalancerArn.slice(loadBalancerArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length);
  const tg = targetGroupArn.slice(targetGroupArn.indexOf(':targetgroup/') + 1);
  return `${lb}/${tg}`;
}
