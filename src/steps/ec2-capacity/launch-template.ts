import { createHash, randomUUID } from 'node:crypto';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeleteLaunchTemplateCommand,
  DescribeLaunchTemplateVersionsCommand,
  paginateDescribeLaunchTemplates,
  type LaunchTemplate,
  type LaunchTemplateVersion,
  type _InstanceType,
  type RequestLaunchTemplateData,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { ec2Tags } from '../../aws/ec2-tags.js';
import { notOwnedError, warnLeftInPlace } from '../../aws/ownership.js';
import { onceOptions } from '../../aws/create-once-options.js';
import { isAwsError } from '../../aws/errors.js';
import { createOnce } from '../../aws/idempotent.js';
import { isOwnedBy } from '../../aws/tags.js';
import type { Change, StepContext } from '../../engine/types.js';

// ---------------------------------------------------------------------------------------
// The launch template the Auto Scaling group starts container instances from (the group launches $Latest).

/** What the plan found: the template exists; `version` is the $Latest version number it saw (the base a new version is made on). */
export interface LaunchTemplatePlan {
  id: string;
  newVersion: boolean;
  version?: number;
}

/**
 * Base64 user data that makes the ECS agent join `cluster`. ECS_AWSVPC_BLOCK_IMDS stops awsvpc
 * tasks from borrowing the instance role through the metadata service (least privilege).
 */
export function userData(cluster: string): string {
  const script = `#!/bin/bash\necho ECS_CLUSTER=${cluster} >> /etc/ecs/ecs.config\necho ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config\n`;
  return Buffer.from(script, 'utf8').toString('base64');
}

interface LaunchTemplateInput {
  cluster: string;
  imageId: string;
  instanceType: string;
  instanceProfileArn: string;
  securityGroupId: string;
  /** Instances in public subnets (learning profile) need a public IP to reach ECS and ECR. */
  publicIp: boolean;
  owner: { app: string; env: string };
  name: string;
}

/** The launch template data for the container instances. */
export function renderLaunchTemplate(o: LaunchTemplateInput): RequestLaunchTemplateData {
  const tags = ec2Tags(o.owner, 'container-instance', o.name);
  return {
    ImageId: o.imageId,
    InstanceType: o.instanceType as _InstanceType,
    IamInstanceProfile: { Arn: o.instanceProfileArn },
    // A security group goes on the network interface when the interface itself is specified.
    ...(o.publicIp
      ? { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: true, Groups: [o.securityGroupId], DeleteOnTermination: true }] }
      : { SecurityGroupIds: [o.securityGroupId] }),
    UserData: userData(o.cluster),
    // IMDSv2 only; hop limit 1 keeps bridge-mode containers (one hop further) away from the instance role.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}

/** The launch template fields that differ (only fields the API returned are compared). */
export function launchTemplateChanges(actual: ResponseLaunchTemplateData, wanted: RequestLaunchTemplateData): Change[] {
  const changes: Change[] = [];
  const check = (field: string, before: unknown, after: unknown) => {
    if (before !== undefined && JSON.stringify(before) !== JSON.stringify(after))
      changes.push({ field: `launchTemplate.${field}`, before, after });
  };
  check('imageId', actual.ImageId, wanted.ImageId);
  check('instanceType', actual.InstanceType, wanted.InstanceType);
  check('instanceProfile', actual.IamInstanceProfile?.Arn, wanted.IamInstanceProfile?.Arn);
  check('userData', actual.UserData, wanted.UserData);
  check('httpTokens', actual.MetadataOptions?.HttpTokens, wanted.MetadataOptions?.HttpTokens);
  check('httpPutResponseHopLimit', actual.MetadataOptions?.HttpPutResponseHopLimit, wanted.MetadataOptions?.HttpPutResponseHopLimit);
  const groups = (d: ResponseLaunchTemplateData | RequestLaunchTemplateData) =>
    [...(d.SecurityGroupIds ?? []), ...(d.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? [])].sort();
  const actualGroups = groups(actual);
  if (actualGroups.length || actual.SecurityGroupIds || actual.NetworkInterfaces) check('securityGroups', actualGroups, groups(wanted));
  const publicIp = (d: ResponseLaunchTemplateData | RequestLaunchTemplateData) =>
    d.NetworkInterfaces?.[0]?.AssociatePublicIpAddress ?? false;
  if (publicIp(actual) !== publicIp(wanted))
    changes.push({ field: 'launchTemplate.publicIp', before: publicIp(actual), after: publicIp(wanted) });
  return changes;
}

/**
 * The ClientToken of a new launch template version: the same for the same template, base version and content, so a
 * retry returns the version it made; the next change starts from a newer base, so an old version is never replayed.
 */
export function launchTemplateVersionToken(templateId: string, baseVersion: number | undefined, data: RequestLaunchTemplateData): string {
  return createHash('sha256')
    .update(`${templateId}/${baseVersion ?? '?'}/${JSON.stringify(data)}`)
    .digest('hex')
    .slice(0, 64);
}

// ---------------------------------------------------------------------------------------
// Reads.

async function findLaunchTemplate(ctx: StepContext, name: string): Promise<LaunchTemplate | undefined> {
  // A name filter answers "none" with an empty list; LaunchTemplateNames would throw instead. A filtered EC2
  // Describe may return a page without the match and a NextToken, so follow it until found.
  for await (const page of paginateDescribeLaunchTemplates(
    { client: ctx.aws.ec2() },
    { Filters: [{ Name: 'launch-template-name', Values: [name] }] },
  )) {
    const found = page.LaunchTemplates?.find((t) => t.LaunchTemplateName === name);
    if (found) return found;
  }
  return undefined;
}

/** The $Latest version: one version, so one page. */
async function latestVersion(ctx: StepContext, id: string): Promise<LaunchTemplateVersion | undefined> {
  const out = await ctx.aws.ec2().send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id, Versions: ['$Latest'] }));
  return out.LaunchTemplateVersions?.[0];
}

// ---------------------------------------------------------------------------------------
// Plan (reads only), apply, teardown.

/** Adds the template's changes; undefined when it does not exist yet. */
export async function planLaunchTemplate(
  ctx: StepContext,
  wanted: RequestLaunchTemplateData,
  changes: Change[],
): Promise<LaunchTemplatePlan | undefined> {
  const n = ctx.names;
  const lt = await findLaunchTemplate(ctx, n.launchTemplate);
  if (!lt) {
    changes.push({ field: 'launchTemplate', after: `${n.launchTemplate} (${wanted.InstanceType}, ${wanted.ImageId})` });
    return undefined;
  }
  if (!isOwnedBy(lt.Tags, ctx.owner))
    throw notOwnedError('capacity.lt-not-owned', `A launch template named ${n.launchTemplate}`, ctx.owner);
  const latest = await latestVersion(ctx, lt.LaunchTemplateId!);
  const ltChanges = launchTemplateChanges(latest?.LaunchTemplateData ?? {}, wanted);
  changes.push(...ltChanges);
  return {
    id: lt.LaunchTemplateId!,
    newVersion: ltChanges.length > 0,
    ...(latest?.VersionNumber !== undefined ? { version: latest.VersionNumber } : {}),
  };
}

/**
 * Both creates carry a ClientToken, so a retry after a lost response gets the first result back instead of
 * InvalidLaunchTemplateName.AlreadyExistsException or a duplicate version (EC2 API, "Ensuring idempotency"; same
 * token with other parameters is IdempotentParameterMismatch). createOnce retries and, before that, looks up.
 * Returns the template id.
 */
export async function ensureLaunchTemplate(
  ctx: StepContext,
  planned: LaunchTemplatePlan | undefined,
  ltInput: RequestLaunchTemplateData,
): Promise<string> {
  if (!planned) return createLaunchTemplate(ctx, ltInput);
  // The group launches $Latest: new instances pick this up, running ones keep theirs.
  if (planned.newVersion) await addLaunchTemplateVersion(ctx, planned, ltInput);
  return planned.id;
}

async function createLaunchTemplate(ctx: StepContext, ltInput: RequestLaunchTemplateData): Promise<string> {
  const n = ctx.names;
  ctx.progress(`creating launch template ${n.launchTemplate}`);
  // Random per create, reused by its retries: a token derived from the name and content could replay a template a
  // teardown has deleted since (EC2 keeps tokens after the resource is gone; for RunInstances at least 24 h). A
  // crashed run is recovered by the lookup and AlreadyExists instead (as for route tables in the network step).
  const input = {
    ClientToken: randomUUID(),
    LaunchTemplateName: n.launchTemplate,
    LaunchTemplateData: ltInput,
    TagSpecifications: [{ ResourceType: 'launch-template' as const, Tags: ec2Tags(ctx.owner, 'launch-template', n.launchTemplate) }],
  };
  return createOnce({
    create: async () => (await ctx.aws.once.ec2().send(new CreateLaunchTemplateCommand(input))).LaunchTemplate?.LaunchTemplateId ?? '',
    find: async () => {
      const lt = await findLaunchTemplate(ctx, n.launchTemplate);
      return lt && isOwnedBy(lt.Tags, ctx.owner) ? (lt.LaunchTemplateId ?? '') : undefined;
    },
    alreadyExists: ['InvalidLaunchTemplateName.AlreadyExistsException'],
    ...onceOptions(ctx),
  });
}

async function addLaunchTemplateVersion(ctx: StepContext, planned: LaunchTemplatePlan, ltInput: RequestLaunchTemplateData): Promise<void> {
  ctx.progress(`adding a version to launch template ${ctx.names.launchTemplate}`);
  const { id, version: base } = planned;
  const ClientToken = launchTemplateVersionToken(id, base, ltInput);
  const input = { ClientToken, LaunchTemplateId: id, LaunchTemplateData: ltInput };
  await createOnce({
    create: async () =>
      (await ctx.aws.once.ec2().send(new CreateLaunchTemplateVersionCommand(input))).LaunchTemplateVersion?.VersionNumber ?? 0,
    // Made already: $Latest is newer than the version the plan saw, and says what we want.
    find: async () => {
      const latest = await latestVersion(ctx, id);
      const newer = base === undefined || (latest?.VersionNumber ?? 0) > base;
      return latest && newer && launchTemplateChanges(latest.LaunchTemplateData ?? {}, ltInput).length === 0
        ? (latest.VersionNumber ?? 0)
        : undefined;
    },
    ...onceOptions(ctx),
  });
}

export async function destroyLaunchTemplate(ctx: StepContext, name: string): Promise<void> {
  const lt = await findLaunchTemplate(ctx, name);
  if (!lt) return;
  if (!isOwnedBy(lt.Tags, ctx.owner)) {
    warnLeftInPlace(ctx, `launch template ${name}`);
    return;
  }
  await ctx.aws
    .ec2()
    .send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: lt.LaunchTemplateId }))
    .catch((err) => {
      if (!isAwsError(err, 'InvalidLaunchTemplateId.NotFound', 'InvalidLaunchTemplateName.NotFoundException')) throw err;
    });
}
