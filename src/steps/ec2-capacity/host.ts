import { DescribeImagesCommand, DescribeInstanceTypesCommand, type Image, type _InstanceType } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { isAwsError } from '../../aws/errors.js';
import { cpuArchitectureOf, type CpuArchitecture } from '../../config/architecture.js';
import type { Config } from '../../config/schema.js';
import type { StepContext } from '../../engine/types.js';
import { EcsKitError, ExitCode } from '../../errors.js';
import { ec2Settings } from './settings.js';

// ---------------------------------------------------------------------------------------
// The instances' CPU architecture and AMI (reads only; the plan does this first).

/**
 * The public SSM parameters AWS keeps pointing at the current ECS-optimized Amazon Linux 2023 AMI, one per CPU
 * architecture (ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata"). An x86_64 AMI on a
 * Graviton type (or the reverse) never launches.
 */
export const ECS_AMI_PARAMETERS: Readonly<Record<CpuArchitecture, string>> = {
  X86_64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  ARM64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
};

/** x86_64 or arm64 from DescribeInstanceTypes' ProcessorInfo.SupportedArchitectures (x86 types may add i386; Mac types say *_mac). */
function architectureOf(supported: readonly string[] | undefined): CpuArchitecture | undefined {
  if (supported?.includes('arm64')) return 'ARM64';
  if (supported?.includes('x86_64')) return 'X86_64';
  return undefined;
}

const archName = (a: CpuArchitecture) => (a === 'ARM64' ? 'arm64' : 'x86_64');

/** The instance type's architecture, from EC2 itself: family names (t4g, a1, c7gn, g5g …) are not a reliable guide. */
async function instanceArchitecture(ctx: StepContext, instanceType: string): Promise<CpuArchitecture> {
  let supported: string[] | undefined;
  let found = false;
  try {
    // One named type: one page.
    const out = await ctx.aws.ec2().send(new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }));
    const info = out.InstanceTypes?.find((t) => t.InstanceType === instanceType);
    found = info !== undefined;
    supported = info?.ProcessorInfo?.SupportedArchitectures;
  } catch (err) {
    // "InvalidInstanceType: The following supplied instance types do not exist: [t9.small]" (EC2 DescribeInstanceTypes).
    if (!isAwsError(err, 'InvalidInstanceType', 'InvalidParameterValue')) throw err;
  }
  if (!found) {
    throw new EcsKitError(
      'capacity.unknown-instance-type',
      `ec2.instanceType: EC2 does not offer instance type ${instanceType} in ${ctx.region}.`,
      {
        why: 'The container instances are launched with this type; EC2 rejects a type it does not know (a typo, or a type this region does not have).',
        fix: 'Set ec2.instanceType to an instance type available in this region, e.g. t3.small (x86_64) or t4g.small (arm64, Graviton).',
        exitCode: ExitCode.Usage,
      },
    );
  }
  const arch = architectureOf(supported);
  if (!arch) {
    const runs = supported?.join(', ') || 'an unknown architecture';
    throw new EcsKitError('capacity.unsupported-instance-type', `ec2.instanceType: ${instanceType} runs ${runs}, not x86_64 or arm64.`, {
      why: 'ECS-optimized Amazon Linux AMIs exist only for x86_64 and arm64 instances.',
      fix: 'Set ec2.instanceType to an x86_64 type (e.g. t3.small) or an arm64 Graviton type (e.g. t4g.small).',
      exitCode: ExitCode.Usage,
    });
  }
  return arch;
}

/**
 * Services with capacity: ec2 run on the instances, so on the instances' architecture: an image built for the
 * other one fails with "exec format error". Refused before any change, naming both fields.
 */
function checkServiceArchitectures(config: Config | undefined, host: CpuArchitecture, instanceType: string): void {
  const wrong = Object.entries(config?.services ?? {}).filter(([, svc]) => svc.capacity === 'ec2' && cpuArchitectureOf(svc) !== host);
  if (!wrong.length) return;
  const names = wrong.map(([name]) => name);
  const fields = names.map((name) => `services.${name}.cpuArchitecture`).join(', ');
  const services = names.map((name) => `services.${name}`).join(', ');
  const other = host === 'ARM64' ? 'X86_64' : 'ARM64';
  const runs = `run${names.length === 1 ? 's' : ''} on ${archName(other)}`;
  const message = `${fields}: ${names.join(', ')} ${runs}, but ec2.instanceType ${instanceType} is ${archName(host)}.`;
  throw new EcsKitError('capacity.architecture-mismatch', message, {
    why: 'Services with capacity: ec2 run on the container instances, and a container built for one CPU architecture cannot run on the other.',
    fix:
      host === 'ARM64'
        ? `Set cpuArchitecture: arm64 on ${services} (built images then target linux/arm64; an image: must have an arm64 variant), ` +
          'or choose an x86_64 ec2.instanceType such as t3.small.'
        : `Set cpuArchitecture: x86_64 (and build.platform linux/amd64, if set) on ${services}, ` +
          'or choose an arm64 (Graviton) ec2.instanceType such as t4g.small.',
    exitCode: ExitCode.Usage,
  });
}

/** ec2.ami as configured: trusted, but it must exist here and match the instance type's architecture (else every launch fails). */
async function checkConfiguredAmi(ctx: StepContext, ami: string, host: CpuArchitecture): Promise<void> {
  let image: Image | undefined;
  try {
    // One image id: one page.
    image = (await ctx.aws.ec2().send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images?.find((i) => i.ImageId === ami);
  } catch (err) {
    if (!isAwsError(err, 'InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable')) throw err;
  }
  if (!image) {
    throw new EcsKitError('capacity.ami-not-found', `ec2.ami: ${ami} is not an AMI this account can launch in ${ctx.region}.`, {
      why: 'AMI ids are per region, and a private AMI must be shared with this account.',
      fix: 'Set ec2.ami to an ECS-optimized AMI id from this region, or remove ec2.ami to use the current ECS-optimized Amazon Linux 2023 AMI.',
      exitCode: ExitCode.Usage,
    });
  }
  // CreateAutoScalingGroup: "The architecture 'arm64' of the specified instance type does not match the architecture
  // 'x86_64' of the specified AMI" (masterpointio/terraform-aws-ssm-agent#25). Compare only what the API returned.
  const amiArch = image.Architecture === 'arm64' ? 'ARM64' : image.Architecture === 'x86_64' ? 'X86_64' : undefined;
  if (image.Architecture !== undefined && amiArch !== host) {
    const instanceType = ec2Settings(ctx.config).instanceType;
    const message = `ec2.ami: ${ami} is an ${image.Architecture} AMI, but ec2.instanceType ${instanceType} is ${archName(host)}.`;
    throw new EcsKitError('capacity.ami-architecture', message, {
      why: 'EC2 launches an instance only from an AMI built for its CPU architecture.',
      fix: `Set ec2.ami to an ${archName(host)} ECS-optimized AMI, choose an instance type of the AMI's architecture, or remove ec2.ami.`,
      exitCode: ExitCode.Usage,
    });
  }
}

/** The AMI for the instances: ec2.ami, or the current ECS-optimized Amazon Linux 2023 AMI for their architecture. */
async function hostImage(ctx: StepContext, host: CpuArchitecture): Promise<string> {
  const configured = ec2Settings(ctx.config).ami;
  if (configured) {
    await checkConfiguredAmi(ctx, configured, host);
    return configured;
  }
  const parameter = ECS_AMI_PARAMETERS[host];
  try {
    const out = await ctx.aws.ssm().send(new GetParameterCommand({ Name: parameter }));
    const value = out.Parameter?.Value;
    if (typeof value === 'string' && value.startsWith('ami-')) return value;
  } catch (err) {
    if (!isAwsError(err, 'ParameterNotFound')) throw err;
  }
  const what = `the ${archName(host)} ECS-optimized Amazon Linux 2023 AMI in ${ctx.region} (SSM parameter ${parameter})`;
  throw new EcsKitError('capacity.no-ami', `Could not find ${what}.`, {
    why: 'The container instances need an AMI with the ECS agent; AWS publishes its id in that public parameter, but this region or account did not return it.',
    fix: `Set ec2.ami in ecs-kit.yml to an ${archName(host)} ECS-optimized AMI id for this region (e.g. ami-0abc1234).`,
  });
}

/**
 * First in the plan, before the dependencies are read: a wrong architecture or an unknown instance type is refused
 * at preview, even on a first deploy, before any step changes anything.
 */
export async function planHost(ctx: StepContext): Promise<string> {
  const s = ec2Settings(ctx.config);
  const host = await instanceArchitecture(ctx, s.instanceType);
  checkServiceArchitectures(ctx.config, host, s.instanceType);
  return hostImage(ctx, host);
}
