/**
 * What each step records in the manifest and hands to the steps that depend on it.
 * Ids and ARNs only — never secrets.
 */
export type { ClusterState } from './cluster.js';

export interface NetworkState {
  vpcId: string;
  cidr: string;
  availabilityZones: string[];
  publicSubnetIds: string[];
  internetGatewayId: string;
  publicRouteTableId: string;
}

export interface LoadBalancerState {
  securityGroupId: string;
  loadBalancerArn: string;
  loadBalancerName: string;
  dnsName: string;
  listenerArn: string;
}

export interface RoleState {
  roleName: string;
  roleArn: string;
}

export interface LogsState {
  logGroupName: string;
}

export interface RepositoryState {
  repositoryName: string;
  repositoryUri: string;
  repositoryArn: string;
}

export interface ImageState {
  /** Full reference the task definition uses: <repositoryUri>:<tag>. */
  imageUri: string;
  tag: string;
}

export interface TaskDefinitionState {
  family: string;
  taskDefinitionArn: string;
  revision: number;
}

export interface SecurityGroupState {
  groupId: string;
}

export interface TargetGroupState {
  targetGroupArn: string;
  targetGroupName: string;
  ruleArn: string;
}

export interface ServiceState {
  clusterName: string;
  serviceName: string;
  serviceArn: string;
  taskDefinitionArn: string;
  url?: string;
}

export interface ScalingState {
  resourceId: string;
  policyName: string;
  policyArn: string;
}
