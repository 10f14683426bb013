import { PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { alarmDifferences, deleteOwnedAlarms, describeAlarms, isOwnedAlarm } from '../../aws/cloudwatch-alarms.js';
import { warnLeftInPlace } from '../../aws/ownership.js';
import { ownerTags } from '../../aws/tags.js';
import { after, type Change, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { wantsOwnAlarms } from '../service/deployment-config.js';
import { targetGroupStep } from '../target-group/index.js';
import { alarmPermissions } from './permissions.js';

/**
 * Per service behind the load balancer: CloudWatch alarms on its target group(s) that a deployment rolls back on
 * (deploymentConfiguration.alarms; "How CloudWatch alarms detect Amazon ECS deployment failures", ECS Developer Guide,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html). Two per target group:
 * the targets' 5xx count and the unhealthy host count (ALB metrics, "CloudWatch metrics for your Application Load
 * Balancer", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
 * Blue/green, linear and canary have two groups, so four alarms. Created, owned (tagged) and deleted by ecs-kit.
 */

export interface AlarmsState {
  alarmNames: string[];
}

interface AlarmsPlanData {
  put: PutMetricAlarmCommandInput[];
  remove: string[];
}

type Ctx = StepContext<AlarmsState>;

/** The part of an ELB ARN CloudWatch uses as a dimension: "targetgroup/name/id", "app/name/id". */
export function arnSuffix(arn: string, marker: 'targetgroup/' | 'loadbalancer/'): string {
  const i = arn.indexOf(marker);
  return i < 0 ? arn : marker === 'loadbalancer/' ? arn.slice(i + marker.length) : arn.slice(i);
}

/** The alarms a service wants, in a fixed order (names come from src/config/names.ts). */
export function wantedAlarms(ctx: Ctx): Omit<PutMetricAlarmCommandInput, 'Tags'>[] {
  const scope = ctx.scope!;
  const tg = ctx.dep(targetGroupStep, scope);
  const lb = arnSuffix(ctx.dep(loadBalancerStep).loadBalancerArn, 'loadbalancer/');
  const groups = [
    { arn: tg.targetGroupArn, alternate: false },
    ...(tg.alternate ? [{ arn: tg.alternate.targetGroupArn, alternate: true }] : []),
  ];
  return groups.flatMap(({ arn, alternate }) => {
    const Dimensions = [
      { Name: 'TargetGroup', Value: arnSuffix(arn, 'targetgroup/') },
      { Name: 'LoadBalancer', Value: lb },
    ];
    const common = { Namespace: 'AWS/ApplicationELB', Dimensions, Period: 60, TreatMissingData: 'notBreaching' } as const;
    return [
      {
        ...common,
        AlarmName: ctx.names.alarm(scope, '5xx', alternate),
        AlarmDescription: `ecs-kit: deployments of ${scope} roll back when its targets answer 5xx (more than 5 a minute)`,
        MetricName: 'HTTPCode_Target_5XX_Count',
        Statistic: 'Sum',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      },
      {
        ...common,
        AlarmName: ctx.names.alarm(scope, 'unhealthy', alternate),
        AlarmDescription: `ecs-kit: deployments of ${scope} roll back when a target stays unhealthy for 2 minutes`,
        MetricName: 'UnHealthyHostCount',
        Statistic: 'Maximum',
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    ];
  });
}

export const alarmsStep: StepModule<AlarmsState, AlarmsPlanData> = {
  kind: 'alarms',
  title: (scope) => `Rollback alarms (${scope})`,
  resourceKinds: ['cloudwatch:alarm'],
  permissions: alarmPermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => wantsOwnAlarms(svc))
      .map(([name]) => ({ scope: name, dependsOn: [after(loadBalancerStep), after(targetGroupStep, name)] })),

  async plan(ctx): Promise<StepPlan<AlarmsState, AlarmsPlanData>> {
    const wanted = wantedAlarms(ctx);
    const names = wanted.map((w) => w.AlarmName!);
    const gone = (ctx.previous?.alarmNames ?? []).filter((n) => !names.includes(n));
    const found = new Map((await describeAlarms(ctx, names)).map((a) => [a.AlarmName, a]));
    const changes: Change[] = gone.map((n) => ({ field: 'alarm', before: n, after: null }));
    const put: PutMetricAlarmCommandInput[] = [];
    for (const w of wanted) {
      const actual = found.get(w.AlarmName);
      const diff = actual
        ? alarmDifferences(actual, w).map((d) => ({ field: `${w.AlarmName}.${d.key}`, before: d.before, after: d.after }))
        : [{ field: 'alarm', after: `${w.AlarmName} (${w.MetricName})` }];
      if (diff.length) put.push({ ...w, Tags: ownerTags(ctx.owner, `alarm:${ctx.scope}`) });
      changes.push(...diff);
    }
    const action = found.size === 0 && !ctx.previous ? 'create' : changes.length ? 'update' : 'noop';
    return { action, changes, current: { alarmNames: names }, data: { put, remove: gone } };
  },

  async apply(ctx, plan): Promise<AlarmsState> {
    const data = plan.data!;
    const cw = ctx.aws.cloudwatch();
    for (const input of data.put) {
      // PutMetricAlarm creates or replaces by name: the same call makes a retry safe.
      const existing = (await describeAlarms(ctx, [input.AlarmName!]))[0];
      if (existing && !(await isOwnedAlarm(ctx, existing))) {
        warnLeftInPlace(ctx, `CloudWatch alarm ${input.AlarmName}`);
        continue;
      }
      ctx.progress(`${existing ? 'updating' : 'creating'} alarm ${input.AlarmName}`);
      await cw.send(new PutMetricAlarmCommand(input));
    }
    await deleteOwnedAlarms(ctx, data.remove);
    return plan.current!;
  },

  async destroy(ctx, state): Promise<void> {
    await deleteOwnedAlarms(ctx, state.alarmNames);
  },
};
