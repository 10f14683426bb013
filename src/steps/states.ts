/**
 * What each step records in the manifest and hands to the steps that depend on it.
 * Ids and ARNs only — never secrets.
 */
export type { ClusterState } from './cluster/index.js';

export interface NetworkState {
  vpcId: string;
  cidr: string;
  availabilityZones: string[];
  publicSubnetIds: string[];
  internetGatewayId: string;
  publicRouteTableId: string;
  /** How the network was built; absent in manifests from before profiles (= learning). */
  profile?: 'learning' | 'production' | 'existing';
  /** Production profile / your own VPC: tasks run here, without public IPs. */
  privateSubnetIds?: string[];
  natGatewayIds?: string[];
  elasticIpAllocationIds?: string[];
  privateRouteTableIds?: string[];
}

/** EC2 container instances for services with capacity: ec2. */
export interface CapacityState {
  roleName: string;
  roleArn: string;
  instanceProfileName: string;
  instanceProfileArn: string;
  securityGroupId: string;
  launchTemplateId: string;
  launchTemplateName: string;
  autoScalingGroupName: string;
  autoScalingGroupArn: string;
  capacityProviderName: string;
  clusterName: string;
}

export interface LoadBalancerState {
  securityGroupId: string;
  loadBalancerArn: string;
  loadBalancerName: string;
  dnsName: string;
  /** The port 80 listener: 404 by default, or a redirect to HTTPS when there is a certificate. */
  listenerArn: string;
  /** The port 443 listener, present only with loadBalancer.certificateArn; service rules live here then. */
  httpsListenerArn?: string;
}

export interface RoleState {
  roleName: string;
  roleArn: string;
  /** Name of the inline policy ecs-kit put on the role, if any. */
  inlinePolicy?: string;
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
