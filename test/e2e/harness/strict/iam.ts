import { randomBytes } from 'node:crypto';
import { xmlEscape } from '../wire.js';
import type { AccountState } from './state.js';
import { launchTemplateOf, SERVICE_LINKED_ROLES, serviceCreatesRole } from './track.js';
import { list, refuse, type AwsRequest, type Rule, type Verdict } from './types.js';

/**
 * IAM is eventually consistent, and a fresh account has no service-linked roles: the first call
 * that needs one makes the service create it, and the service cannot assume it for a while.
 */

const instanceProfilePropagation: Rule = {
  id: 'iam.instance-profile-propagation',
  description: 'Create/UpdateAutoScalingGroup with a launch template whose instance profile is new: ValidationError for a window',
  // hashicorp/terraform-provider-aws#5217 (fixed by a retry, #5633), eksctl-io/eksctl#8039; real-aws.md #13.
  source: 'https://github.com/hashicorp/terraform-provider-aws/issues/5217',
  check(req, { state, now, windows }) {
    if (req.service !== 'autoscaling' || (req.operation !== 'CreateAutoScalingGroup' && req.operation !== 'UpdateAutoScalingGroup'))
      return undefined;
    const profile = launchTemplateOf(state, req.form)?.profile;
    if (!profile) return undefined;
    const changed = state.profiles.get(profile.value.slice(profile.value.lastIndexOf('/') + 1));
    if (changed === undefined || now - changed >= windows.instanceProfile) return undefined;
    const field = profile.by === 'arn' ? 'ARN' : 'name';
    const text = `Value (${profile.value}) for parameter iamInstanceProfile.${profile.by} is invalid. Invalid IAM Instance Profile ${field}`;
    return refuse('ValidationError', `You must use a valid fully-formed launch template. ${text}`);
  },
};

function roleXml(account: string, awsService: string, created: number): string {
  const { roleName, path } = SERVICE_LINKED_ROLES[awsService]!;
  const statement = { Effect: 'Allow', Principal: { Service: awsService }, Action: 'sts:AssumeRole' };
  const trust = encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }));
  const roleId = `AROA${randomBytes(9).toString('hex').toUpperCase().slice(0, 17)}`;
  return (
    `<Role><Path>${path}</Path><RoleName>${roleName}</RoleName><RoleId>${roleId}</RoleId>` +
    `<Arn>arn:aws:iam::${account}:role${path}${roleName}</Arn><CreateDate>${new Date(created).toISOString()}</CreateDate>` +
    `<AssumeRolePolicyDocument>${xmlEscape(trust)}</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration></Role>`
  );
}

function iamAnswer(operation: string, inner: string): Verdict {
  return {
    answer:
      `<${operation}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${operation}Result>${inner}</${operation}Result>` +
      `<ResponseMetadata><RequestId>strict-layer-0000</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

const serviceLinkedRoles: Rule = {
  id: 'iam.service-linked-roles',
  description:
    'Service-linked roles (ECS, ELB, AAS-ECS, Auto Scaling) start absent; GetRole and CreateServiceLinkedRole answered from that state',
  // IAM API, CreateServiceLinkedRole; a repeat → InvalidInput "…has been taken in this account" (moto says EntityAlreadyExists and
  // creates "AWSServiceRoleForecs", so the layer answers these itself). Role names: IAM User Guide, services that work with IAM.
  source: 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html',
  check(req, { state, now }) {
    if (req.service !== 'iam') return undefined;
    if (req.operation === 'GetRole') {
      const entry = Object.entries(SERVICE_LINKED_ROLES).find(([, r]) => r.roleName === req.form.RoleName);
      if (!entry) return undefined;
      const created = state.serviceLinkedRoles.get(entry[1].roleName);
      if (created === undefined) return refuse('NoSuchEntity', `The role with name ${entry[1].roleName} cannot be found.`, 404);
      return iamAnswer('GetRole', roleXml(req.account, entry[0], created));
    }
    if (req.operation === 'CreateServiceLinkedRole') {
      const awsService = req.form.AWSServiceName ?? '';
      const role = SERVICE_LINKED_ROLES[awsService];
      if (!role) return undefined;
      if (state.serviceLinkedRoles.has(role.roleName)) {
        return refuse('InvalidInput', `Service role name ${role.roleName} has been taken in this account, please try a different suffix.`);
      }
      serviceCreatesRole(state, awsService, now);
      return iamAnswer('CreateServiceLinkedRole', roleXml(req.account, awsService, now));
    }
    return undefined;
  },
};

/** True (and the role is created now, as the service does) when the role is absent or still propagating. */
function roleNotReady(state: AccountState, awsService: string, now: number, window: number): boolean {
  const created = state.serviceLinkedRoles.get(SERVICE_LINKED_ROLES[awsService]!.roleName);
  if (created === undefined) {
    serviceCreatesRole(state, awsService, now);
    return true;
  }
  return now - created < window;
}

/** CreateCluster needs the role only when it sets capacity providers (CreateCluster without them just creates it). */
function needsEcsRole(req: AwsRequest): boolean {
  if (req.operation === 'CreateCapacityProvider') return true;
  return (
    req.operation === 'CreateCluster' &&
    (list(req.json.capacityProviders).length > 0 || list(req.json.defaultCapacityProviderStrategy).length > 0)
  );
}

const ecsRoleFirstUse: Rule = {
  id: 'ecs.service-linked-role-first-use',
  description: 'CreateCluster (with providers) / CreateCapacityProvider while AWSServiceRoleForECS is absent or new: "Unable to assume…"',
  // real-aws.md #12: 1Password/scim-examples#356, aws-cloudformation/cloudformation-coverage-roadmap#818, pulumi/pulumi-aws#1041,
  // terraform-aws-modules/terraform-aws-ecs#26 (CreateCapacityProvider).
  source: 'https://github.com/pulumi/pulumi-aws/issues/1041',
  check(req, { state, now, windows }) {
    if (req.service !== 'ecs' || !needsEcsRole(req)) return undefined;
    if (!roleNotReady(state, 'ecs.amazonaws.com', now, windows.serviceLinkedRole)) return undefined;
    return refuse(
      'InvalidParameterException',
      'Unable to assume the service linked role. Please verify that the ECS service linked role exists.',
    );
  },
};

const aasRoleFirstUse: Rule = {
  id: 'application-autoscaling.service-linked-role-first-use',
  description:
    'RegisterScalableTarget (ecs) while AWSServiceRoleForApplicationAutoScaling_ECSService is absent or new: "Unable to assume IAM role"',
  // real-aws.md #22 (aws/aws-cdk#4108); text from aws-samples/amazon-bedrock-samples#253.
  source: 'https://github.com/aws-samples/amazon-bedrock-samples/issues/253',
  check(req, { state, now, windows }) {
    if (req.service !== 'application-autoscaling' || req.operation !== 'RegisterScalableTarget' || req.json.ServiceNamespace !== 'ecs')
      return undefined;
    const awsService = 'ecs.application-autoscaling.amazonaws.com';
    if (!roleNotReady(state, awsService, now, windows.serviceLinkedRole)) return undefined;
    const { roleName, path } = SERVICE_LINKED_ROLES[awsService]!;
    return refuse('ValidationException', `Unable to assume IAM role: arn:aws:iam::${req.account}:role${path}${roleName}`);
  },
};

export const IAM_RULES: Rule[] = [instanceProfilePropagation, serviceLinkedRoles, ecsRoleFirstUse, aasRoleFirstUse];
