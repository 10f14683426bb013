import type { AnyStepModule } from '../engine/types.js';
import { alarmsStep } from './alarms/index.js';
import { clusterStep } from './cluster/index.js';
import { deploymentRoleStep } from './deployment-role/index.js';
import { ecrStep } from './ecr/index.js';
import { ec2CapacityStep } from './ec2-capacity/index.js';
import { imageStep } from './image/index.js';
import { executionRoleStep, taskRoleStep } from './roles/index.js';
import { loadBalancerStep } from './load-balancer/index.js';
import { logsStep } from './logs/index.js';
import { natStep, networkStep } from './network/index.js';
import { scalingStep } from './scaling/index.js';
import { securityGroupStep } from './security-group/index.js';
import { serviceStep } from './service/index.js';
import { targetGroupStep } from './target-group/index.js';
import { taskDefinitionStep } from './task-definition/index.js';
import { parametersStep, secretsStep } from './secrets/index.js';
import { membersSecurityGroupStep } from './members-security-group/index.js';
import { namespaceStep } from './namespace/index.js';
import { queueStep } from './queue/index.js';
import { scheduleGroupStep } from './schedule-group/index.js';
import { scheduleStep } from './schedule/index.js';
import { schedulerRoleStep } from './scheduler-role/index.js';

/**
 * Every step, in the recommended ECS setup order. The runner still decides the real
 * order (and what runs together) from each instance's declared dependencies; this
 * order only breaks ties and is the order plans are printed in.
 */
export const STEP_MODULES: readonly AnyStepModule[] = [
  networkStep,
  clusterStep,
  ecrStep,
  imageStep,
  parametersStep,
  secretsStep,
  queueStep,
  executionRoleStep,
  taskRoleStep,
  deploymentRoleStep,
  logsStep,
  taskDefinitionStep,
  loadBalancerStep,
  namespaceStep,
  membersSecurityGroupStep,
  securityGroupStep,
  // NAT gateways are pending for minutes: everything above that does not route through them goes ahead meanwhile.
  natStep,
  targetGroupStep,
  alarmsStep,
  // EC2 instances join the cluster before a service can be placed on them.
  ec2CapacityStep,
  serviceStep,
  scalingStep,
  // Scheduled jobs: their group (and dead-letter queue), the scheduler's role, then one schedule per job.
  scheduleGroupStep,
  schedulerRoleStep,
  scheduleStep,
];
