/**
 * What each step records in the manifest and hands to the steps that depend on it.
 * Ids and ARNs only — never secrets.
 */
export type { ClusterState } from './cluster/index.js';
export type { NetworkState } from './network/index.js';
export type { CapacityState } from './ec2-capacity/index.js';
export type { LoadBalancerState } from './load-balancer/index.js';
export type { RoleState } from './roles/index.js';
export type { LogsState } from './logs/index.js';
export type { RepositoryState } from './ecr/index.js';
export type { ImageState } from './image/index.js';
export type { TaskDefinitionState } from './task-definition/index.js';
export type { SecurityGroupState } from './security-group/index.js';
export type { TargetGroupState } from './target-group/index.js';
export type { ServiceState } from './service/index.js';
export type { ScalingState } from './scaling/index.js';
