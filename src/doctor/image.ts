import { BatchGetImageCommand } from '@aws-sdk/client-ecr';
import { isAwsError } from '../aws/errors.js';
import { buildPlatformOf, cpuArchitectureOf, type CpuArchitecture } from '../config/architecture.js';
import type { ServiceConfig } from '../config/schema.js';
import { combine, type DoctorCheck, type DoctorContext, type ItemVerdict } from './types.js';

// <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repository>[:tag][@sha256:digest]
const ECR_IMAGE_RE = new RegExp(
  String.raw`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*?)` +
    String.raw`(?::(\w[\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`,
);

/** The parts of a private ECR image URI; undefined for any other registry. */
export function parseEcrImage(
  uri: string,
): { account: string; region: string; repository: string; tag?: string; digest?: string } | undefined {
  const m = ECR_IMAGE_RE.exec(uri);
  if (!m) return undefined;
  return { account: m[1]!, region: m[2]!, repository: m[3]!, ...(m[4] ? { tag: m[4] } : {}), ...(m[5] ? { digest: m[5] } : {}) };
}

/**
 * Ask for every manifest type, or ECR may hand back one platform's manifest instead of the index.
 * Docker manifest list and OCI index: the types docker/containerd accept from ECR.
 */
const MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
];

/** ECS RuntimePlatform.cpuArchitecture ↔ OCI platform.architecture. */
const OCI_ARCH: Record<CpuArchitecture, string> = { X86_64: 'amd64', ARM64: 'arm64' };

interface ImageManifest {
  manifests?: { platform?: { os?: string; architecture?: string } }[];
}

async function checkService(ctx: DoctorContext, name: string, svc: ServiceConfig): Promise<ItemVerdict> {
  const arch = cpuArchitectureOf(svc);
  const wanted = OCI_ARCH[arch];
  if (svc.build) return { status: 'ok', line: `${name}: built by ecs-kit for ${buildPlatformOf(svc)} (the task runs ${arch})` };
  const image = svc.image ?? '';
  const ecr = parseEcrImage(image);
  if (!ecr) return { status: 'skip', line: `${name}: ${image} is not in a private ECR registry; its architecture is not checked` };
  if (ecr.account !== ctx.identity!.account || ecr.region !== ctx.region) {
    return { status: 'skip', line: `${name}: ${image} is in another account's or region's ECR; its architecture is not checked` };
  }
  const fixImage = `Push the image, or fix services.${name}.image.`;
  let out;
  try {
    out = await ctx.aws.ecr().send(
      new BatchGetImageCommand({
        repositoryName: ecr.repository,
        imageIds: [ecr.digest ? { imageDigest: ecr.digest } : { imageTag: ecr.tag ?? 'latest' }],
        acceptedMediaTypes: MEDIA_TYPES,
      }),
    );
  } catch (err) {
    if (isAwsError(err, 'RepositoryNotFoundException'))
      return { status: 'fail', line: `${name}: repository ${ecr.repository} does not exist`, fix: fixImage };
    throw err;
  }
  const found = out.images?.[0];
  if (!found?.imageManifest) {
    const why = out.failures?.[0];
    return {
      status: 'fail',
      line: `${name}: ${image} not found${why ? ` (${why.failureCode}: ${why.failureReason})` : ''}`,
      fix: fixImage,
    };
  }
  const manifest = JSON.parse(found.imageManifest) as ImageManifest;
  if (!Array.isArray(manifest.manifests)) {
    // One platform's manifest names no architecture; only its config blob does, and that is a download.
    const line = `${name}: single-platform image; its architecture is not visible from the manifest (the task runs ${arch})`;
    return arch === 'X86_64'
      ? { status: 'skip', line }
      : {
          status: 'warn',
          line,
          fix: `Make sure it was built for linux/${wanted} (docker buildx build --platform linux/${wanted}), or push a multi-platform one.`,
        };
  }
  // Build attestations sit in the index as platform unknown/unknown.
  const platforms = manifest.manifests.map((m) => m.platform).filter((p) => p?.os && p.os !== 'unknown');
  const list = [...new Set(platforms.map((p) => `${p!.os}/${p!.architecture}`))].join(', ') || 'no platform';
  if (platforms.some((p) => p!.os === 'linux' && p!.architecture === wanted))
    return { status: 'ok', line: `${name}: ${list} includes linux/${wanted}` };
  const other: CpuArchitecture = arch === 'ARM64' ? 'X86_64' : 'ARM64';
  const canSwitch = platforms.some((p) => p!.os === 'linux' && p!.architecture === OCI_ARCH[other]);
  return {
    status: 'fail',
    line: `${name}: the image offers ${list}, but the task runs ${arch} (linux/${wanted}); it would fail with "exec format error"`,
    fix: `Push a linux/${wanted} variant of the image${canSwitch ? `, or set services.${name}.cpuArchitecture: ${other.toLowerCase()}` : ''}.`,
  };
}

/**
 * 8. Images in this account's ECR carry the task's CPU architecture (ECR BatchGetImage reads
 * the manifest only). Fargate runs the image on exactly cpuArchitecture (ECS RuntimePlatform).
 */
export const imageArchitectureCheck: DoctorCheck = {
  name: 'image-architecture',
  needsIdentity: true,
  async run(ctx) {
    const items: ItemVerdict[] = [];
    for (const [name, svc] of Object.entries(ctx.config.services)) items.push(await checkService(ctx, name, svc));
    return combine(items, (s) =>
      s === 'fail'
        ? "an image is missing or lacks the task's architecture"
        : s === 'warn'
          ? "an image's architecture could not be confirmed"
          : s === 'skip'
            ? "no image in this account's ECR to inspect"
            : "images match their tasks' architecture",
    );
  },
};
