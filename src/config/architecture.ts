import type { ServiceConfig } from './schema.js';

/** The CPU architectures ECS runs Linux tasks on (RuntimePlatform.cpuArchitecture). */
export type CpuArchitecture = 'X86_64' | 'ARM64';

/** Docker platforms ecs-kit can build for; Fargate and the ECS-optimized AMIs run these two. */
export const BUILD_PLATFORMS: Readonly<Record<string, CpuArchitecture>> = {
  'linux/amd64': 'X86_64',
  'linux/x86_64': 'X86_64',
  'linux/arm64': 'ARM64',
  'linux/arm64/v8': 'ARM64',
};

/**
 * The architecture a service's tasks run on: `cpuArchitecture` when set, else what `build.platform`
 * builds for, else x86_64. Fargate runs the image on exactly this architecture, so an arm64 image
 * on an X86_64 task fails with "exec format error" (ECS RuntimePlatform, API reference).
 */
export function cpuArchitectureOf(svc: Pick<ServiceConfig, 'cpuArchitecture' | 'build'>): CpuArchitecture {
  if (svc.cpuArchitecture) return svc.cpuArchitecture === 'arm64' ? 'ARM64' : 'X86_64';
  const fromPlatform = svc.build?.platform ? BUILD_PLATFORMS[svc.build.platform] : undefined;
  return fromPlatform ?? 'X86_64';
}

/** The `docker build --platform` value: the configured one, or the one matching the architecture. */
export function buildPlatformOf(svc: Pick<ServiceConfig, 'cpuArchitecture' | 'build'>): string {
  if (svc.build?.platform) return svc.build.platform;
  return cpuArchitectureOf(svc) === 'ARM64' ? 'linux/arm64' : 'linux/amd64';
}
