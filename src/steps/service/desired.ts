import type {
  CapacityProviderStrategyItem,
  DeploymentConfiguration,
  LoadBalancer,
  NetworkConfiguration,
  Service,
  ServiceConnectConfiguration,
} from '@aws-sdk/client-ecs';
import { memberGroups, serviceConnectFor, serviceConnectKey } from './service-connect.js';
import { capacityProviderName, capacityStrategyFor } from '../../capacity/strategy.js';
import { isPublic } from '../../config/services.js';
import type { ServiceConfig } from '../../config/schema.js';
import type { StepContext } from '../../engine/types.js';
import { EcsKitError } from '../../errors.js';
import { clusterStep } from '../cluster/index.js';
import { loadBalancerStep } from '../load-balancer/index.js';
import { networkStep, taskPlacement } from '../network/index.js';
import { securityGroupStep } from '../security-group/index.js';
import { taskDefinitionStep } from '../task-definition/index.js';
import type { ServiceState } from './index.js';
import { wantedDeploymentConfiguration, wantedLoadBalancer } from './safe-rollout.js';

type Ctx = StepContext<ServiceState>;

/** The service as the config and the steps it depends on want it. */
export interface Desired {
  cluster: string;
  serviceName: string;
  taskDefinition: string;
  desiredCount: number;
  /** Absent in bridge mode (EC2 only): tasks share the instance's network. */
  networkConfiguration?: NetworkConfiguration & {
    awsvpcConfiguration: { subnets: string[]; securityGroups: string[]; assignPublicIp: 'ENABLED' | 'DISABLED' };
  };
  /** Always a strategy (plain Fargate is the FARGATE provider), never a launch type: see desiredFor. */
  capacityProviderStrategy: CapacityProviderStrategyItem[];
  loadBalancers: LoadBalancer[];
  healthCheckGracePeriodSeconds?: number;
  deploymentConfiguration: DeploymentConfiguration;
  /** ECS Exec (services.<name>.exec). */
  enableExecuteCommand: boolean;
  /** ECS Service Connect (service-connect.ts): absent when the config has no internal services. */
  serviceConnectConfiguration?: ServiceConnectConfiguration;
  url?: string;
}

export function serviceConfig(ctx: Ctx): ServiceConfig {
  if (!ctx.service || !ctx.scope) throw new EcsKitError('engine.step', `Step ${ctx.id} needs the service's configuration.`);
  return ctx.service;
}

export function desiredFor(ctx: Ctx): Desired {
  const svc = serviceConfig(ctx);
  const scope = ctx.scope!;
  // Read in this order: while planning, the first one missing is what the plan says the service waits for.
  const cluster = ctx.dep(clusterStep).clusterName;
  const network = ctx.dep(networkStep);
  const taskDefinition = ctx.dep(taskDefinitionStep, scope).taskDefinitionArn;
  const sg = ctx.dep(securityGroupStep, scope);
  // Learning profile: tasks sit in public subnets and need a public IP to pull images.
  // Production / your own VPC: private subnets, no public IP, outbound through NAT.
  const placement = taskPlacement(network);
  // EC2 tasks never get a public IP (AWS rejects it); the instance pulls their images.
  const assignPublicIp = svc.capacity === 'ec2' ? 'DISABLED' : placement.assignPublicIp;
  // Plain Fargate runs on the FARGATE capacity provider rather than launchType FARGATE: a service
  // created with a launch type cannot later be moved to FARGATE_SPOT or a mixed strategy (UpdateService
  // lists only provider ↔ provider and EC2 → Fargate provider transitions), while provider ↔ provider
  // updates are always valid. The cluster has the Fargate providers attached (cluster.ts), which is all
  // a strategy needs: no default strategy required (ECS API, CreateCluster capacityProviders: the Fargate
  // providers "only need to be associated with a cluster to be used"; the default applies when none is given).
  const strategy = capacityStrategyFor(svc, capacityProviderName(ctx.names)) ?? [{ capacityProvider: 'FARGATE', weight: 1 }];
  const desired: Desired = {
    cluster,
    serviceName: ctx.names.service(scope),
    taskDefinition,
    desiredCount: svc.desiredCount,
    ...(svc.networkMode === 'bridge'
      ? {}
      : {
          networkConfiguration: {
            awsvpcConfiguration: { subnets: placement.subnets, securityGroups: [sg.groupId, ...memberGroups(ctx)], assignPublicIp },
          },
        }),
    capacityProviderStrategy: strategy,
    loadBalancers: [],
    deploymentConfiguration: wantedDeploymentConfiguration(ctx, scope, svc),
    enableExecuteCommand: svc.exec,
  };
  const serviceConnect = serviceConnectFor(ctx);
  if (serviceConnect) desired.serviceConnectConfiguration = serviceConnect;
  if (isPublic(svc)) {
    const lb = ctx.dep(loadBalancerStep);
    // isPublic: the service has a port.
    desired.loadBalancers = [wantedLoadBalancer(ctx, scope, { ...svc, port: svc.port! })];
    desired.healthCheckGracePeriodSeconds = 60;
    desired.url = `${lb.httpsListenerArn ? 'https' : 'http'}://${lb.dnsName}${svc.path === '/' ? '/' : svc.path}`;
  }
  return desired;
}

export function stateOf(service: Service | undefined, d: Desired, fallbackArn = ''): ServiceState {
  return {
    clusterName: d.cluster,
    serviceName: service?.serviceName ?? d.serviceName,
    serviceArn: service?.serviceArn ?? fallbackArn,
    taskDefinitionArn: d.taskDefinition,
    ...(d.url ? { url: d.url } : {}),
    ...(d.serviceConnectConfiguration ? { serviceConnect: serviceConnectKey(d.serviceConnectConfiguration) } : {}),
  };
}
