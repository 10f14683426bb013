import type { PolicyContext } from '../../security/policy-context.js';
import { ownEc2, tagOnCreate, unscoped, type Statement } from '../../security/statements.js';

/**
 * The network step: a VPC with subnets, an internet gateway, route tables and NAT gateways with their addresses
 * (or, with your own VPC, only the reads). Creates are tagged; later changes and deletes need this app's tag.
 */
export function networkPermissions(ctx: PolicyContext): Statement[] {
  return [
    unscoped([
      'ec2:DescribeAddresses',
      'ec2:DescribeAvailabilityZones',
      'ec2:DescribeInternetGateways',
      'ec2:DescribeNatGateways',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSubnets',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeVpcs',
      // Creates cannot be scoped to ARNs that do not exist yet; every one is tagged on create.
      'ec2:AllocateAddress',
      'ec2:CreateInternetGateway',
      'ec2:CreateNatGateway',
      'ec2:CreateRoute',
      'ec2:CreateRouteTable',
      'ec2:CreateSubnet',
      'ec2:CreateVpc',
    ]),
    tagOnCreate(['AllocateAddress', 'CreateInternetGateway', 'CreateNatGateway', 'CreateRouteTable', 'CreateSubnet', 'CreateVpc']),
    ownEc2(ctx, [
      'ec2:AssociateRouteTable',
      'ec2:AttachInternetGateway',
      'ec2:DeleteInternetGateway',
      'ec2:DeleteNatGateway',
      'ec2:DeleteRouteTable',
      'ec2:DeleteSubnet',
      'ec2:DeleteVpc',
      'ec2:DetachInternetGateway',
      'ec2:DisassociateRouteTable',
      'ec2:ModifySubnetAttribute',
      'ec2:ModifyVpcAttribute',
      'ec2:ReleaseAddress',
      'ec2:ReplaceRoute',
      'ec2:ReplaceRouteTableAssociation',
    ]),
  ];
}
