import type { ServiceConfig } from '../../config/schema.js';

/** ecs-kit builds this service's image (and keeps an ECR repository for it); `image:` services pull from elsewhere. */
export function buildsImage(svc: Pick<ServiceConfig, 'build' | 'image'>): boolean {
  return Boolean(svc.build && !svc.image);
}
