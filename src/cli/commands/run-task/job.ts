import { GetScheduleCommand } from '@aws-sdk/client-scheduler';
import type { Service } from '@aws-sdk/client-ecs';
import { explainAwsError, isAwsError } from '../../../aws/errors.js';
import { EcsKitError } from '../../../errors.js';
import type { Day2Run } from '../../day2-context.js';

/**
 * A scheduled job has no ECS service: `run-task <job>` runs what its schedule runs, read from the schedule's target
 * (task definition revision, capacity, subnets, security groups, public IP), shaped like the service run-task would
 * otherwise read, so the rest of run-task is the same.
 */
export async function scheduledJob(run: Pick<Day2Run, 'aws' | 'names'>, name: string): Promise<Service & { taskDefinition: string }> {
  const group = run.names.scheduleGroup;
  const schedule = await run.aws
    .scheduler()
    .send(new GetScheduleCommand({ GroupName: group, Name: run.names.schedule(name) }))
    .catch((err: unknown) => {
      if (isAwsError(err, 'ResourceNotFoundException')) return undefined;
      throw explainAwsError(err, `reading the schedule of ${name}`);
    });
  const ecs = schedule?.Target?.EcsParameters;
  if (!ecs?.TaskDefinitionArn) {
    throw new EcsKitError('run-task.no-job', `Scheduled job ${name} is not deployed (no schedule ${name} in group ${group}).`, {
      fix: 'Run ecs-kit deploy first.',
    });
  }
  const vpc = ecs.NetworkConfiguration?.awsvpcConfiguration;
  return {
    serviceName: name,
    taskDefinition: ecs.TaskDefinitionArn,
    ...(ecs.CapacityProviderStrategy?.length
      ? {
          capacityProviderStrategy: ecs.CapacityProviderStrategy.map((c) => ({
            capacityProvider: c.capacityProvider,
            weight: c.weight,
            base: c.base,
          })),
        }
      : {}),
    ...(ecs.LaunchType ? { launchType: ecs.LaunchType } : {}),
    ...(ecs.PlatformVersion ? { platformVersion: ecs.PlatformVersion } : {}),
    ...(vpc
      ? {
          networkConfiguration: {
            awsvpcConfiguration: { subnets: vpc.Subnets, securityGroups: vpc.SecurityGroups, assignPublicIp: vpc.AssignPublicIp },
          },
        }
      : {}),
  };
}
