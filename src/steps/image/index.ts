import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { isAwsError } from '../../aws/errors.js';
import { buildPlatformOf } from '../../config/architecture.js';
import { after, type StepContext, type StepModule, type StepPlan } from '../../engine/types.js';
import { contextDigest } from '../../docker/context-digest.js';
import { EcsKitError, UsageError } from '../../errors.js';
import { ecrStep } from '../ecr/index.js';
import { buildsImage } from './builds.js';
import { imagePermissions } from './permissions.js';

export { buildsImage } from './builds.js';

export interface ImageState {
  /** Full reference the task definition uses: <repositoryUri>:<tag>. */
  imageUri: string;
  tag: string;
}

type Ctx = StepContext<ImageState>;

/** What the plan worked out from the source: the content tag, and the local name the build phase gives the image. */
interface ImagePlanData {
  localRef: string;
  tag: string;
}

/**
 * Where to build: the context relative to the config file's directory, and the Dockerfile
 * relative to the context (as docker compose does); `baseDir` is the config file's directory
 * (the step context's baseDir). A Dockerfile outside the
 * context is refused: it is almost always a mistake, and could read files the user did
 * not mean to ship.
 */
export function resolveBuildPaths(
  build: { context: string; dockerfile: string },
  baseDir: string,
  service: string,
): { context: string; dockerfile: string } {
  const where = `services.${service}.build`;
  const context = path.resolve(baseDir, build.context);
  let realContext: string;
  try {
    realContext = realpathSync(context);
    if (!statSync(realContext).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new UsageError(
      `${where}.context: ${context} is not a directory.`,
      'Point build.context at the folder to build, relative to the config file.',
      'image.context',
    );
  }
  const dockerfile = path.resolve(realContext, build.dockerfile);
  if (!inside(realContext, dockerfile)) {
    throw new UsageError(
      `${where}.dockerfile: ${build.dockerfile} is outside the build context ${context}.`,
      'Put the Dockerfile inside the build context, or widen build.context.',
      'image.dockerfile',
    );
  }
  let realDockerfile: string;
  try {
    realDockerfile = realpathSync(dockerfile);
    if (!statSync(realDockerfile).isFile()) throw new Error('not a file');
  } catch {
    throw new UsageError(
      `${where}.dockerfile: no Dockerfile at ${dockerfile}.`,
      'Create it, or set build.dockerfile to its path relative to build.context.',
      'image.dockerfile',
    );
  }
  // A symlink inside the context can still point out of it.
  if (!inside(realContext, realDockerfile)) {
    throw new UsageError(
      `${where}.dockerfile: ${build.dockerfile} links to ${realDockerfile}, outside the build context.`,
      'Put the Dockerfile inside the build context.',
      'image.dockerfile',
    );
  }
  return { context: realContext, dockerfile: realDockerfile };
}

function inside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The tag is the digest of everything the build is given, so an unchanged source is a no-op without building. */
export function tagForDigest(digest: string): string {
  return `src-${digest.slice(0, 12)}`;
}

/** The build's inputs for a service, and the tag and local name they give. */
async function buildTarget(ctx: Ctx): Promise<{ paths: { context: string; dockerfile: string }; tag: string; localRef: string }> {
  const svc = ctx.scope!;
  const build = ctx.service?.build;
  if (!build) throw new EcsKitError('image.no-build', `Service ${svc} has no build section.`);
  const paths = resolveBuildPaths(build, ctx.baseDir, svc);
  const tag = tagForDigest(await contextDigest({ ...paths, args: build.args, platform: buildPlatformOf(ctx.service!), own: ctx.ownFiles }));
  return { paths, tag, localRef: `ecs-kit/${ctx.owner.app}-${ctx.owner.env}-${svc}:${tag}` };
}

async function imageExists(ctx: Ctx, repositoryName: string, tag: string): Promise<boolean> {
  try {
    const out = await ctx.aws.ecr().send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }));
    return (out.imageDetails ?? []).length > 0;
  } catch (err) {
    if (isAwsError(err, 'ImageNotFoundException')) return false;
    throw err;
  }
}

export const imageStep: StepModule<ImageState, ImagePlanData> = {
  kind: 'image',
  title: (scope) => `Image build and push (${scope})`,
  // Images go into the ecr step's repository and leave with it.
  resourceKinds: [],
  permissions: imagePermissions,
  instances: (config) =>
    Object.entries(config.services)
      .filter(([, svc]) => buildsImage(svc))
      .map(([scope]) => ({ scope, dependsOn: [after(ecrStep, scope)] })),

  // Read-only: the tag comes from the source itself, so plan knows whether ECR already has it without running docker.
  async plan(ctx): Promise<StepPlan<ImageState, ImagePlanData>> {
    const repo = ctx.dep(ecrStep, ctx.scope);
    const { tag, localRef } = await buildTarget(ctx);
    const imageUri = `${repo.repositoryUri}:${tag}`;
    const data: ImagePlanData = { localRef, tag };
    if (await imageExists(ctx, repo.repositoryName, tag)) {
      return { action: 'noop', changes: [], current: { imageUri, tag }, data };
    }
    return { action: 'create', changes: [{ field: 'build and push', before: ctx.previous?.tag, after: tag }], data, outputsChange: true };
  },

  // The build phase: docker builds the image locally before anything changes in AWS.
  async prepare(ctx): Promise<void> {
    const build = ctx.service!.build!;
    const { paths, tag, localRef } = await buildTarget(ctx);
    ctx.progress(`building the image for ${ctx.scope!} (${tag})`);
    await ctx.docker.build({
      context: paths.context,
      dockerfile: paths.dockerfile,
      tag: localRef,
      platform: buildPlatformOf(ctx.service!),
      args: build.args,
    });
  },

  async apply(ctx, plan): Promise<ImageState> {
    const repo = ctx.dep(ecrStep, ctx.scope);
    // Image plans always carry their data.
    const { localRef, tag } = plan.data!;
    const imageUri = `${repo.repositoryUri}:${tag}`;
    await ctx.docker.tag(localRef, imageUri);

    const out = await ctx.aws.ecr().send(new GetAuthorizationTokenCommand({}));
    const auth = out.authorizationData?.[0];
    const decoded = auth?.authorizationToken ? Buffer.from(auth.authorizationToken, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    // Never echo the token or the password, not even in an error.
    if (!auth?.proxyEndpoint || colon < 1) {
      throw new EcsKitError('image.auth', 'ECR returned no usable registry login.', {
        fix: 'Run deploy again; if it keeps failing, check ecr:GetAuthorizationToken permission.',
      });
    }
    ctx.progress(`logging in to ${auth.proxyEndpoint.replace(/^https?:\/\//, '')}`);
    await ctx.docker.login(auth.proxyEndpoint, decoded.slice(0, colon), decoded.slice(colon + 1));

    ctx.progress(`pushing ${imageUri}`);
    await ctx.docker.push(imageUri);
    return { imageUri, tag };
  },

  // Images go with the repository (deleted with force).
  async destroy(): Promise<void> {},
};
