import type { Config } from './schema.js';
import { isPublic } from './services.js';

type Add = (path: (string | number)[], message: string) => void;

/** The variables a queue worker gets; the config may not set them itself. */
export const QUEUE_ENV = ['QUEUE_URL', 'DLQ_URL'] as const;

/** What one kind of workload may not be combined with, and what each needs (pure; problems go to `add`). */
export function checkWorkloadRules(config: Config, add: Add): void {
  for (const [name, svc] of Object.entries(config.services)) {
    const at = ['services', name];
    if (svc.schedule !== undefined) {
      const job = 'a scheduled job runs a task on its schedule and has no ECS service';
      if (svc.port !== undefined) add([...at, 'port'], `${job}, so nothing can reach a port; remove port (or schedule)`);
      if (svc.internal) add([...at, 'internal'], `${job}; remove internal (or schedule)`);
      if (svc.queue) add([...at, 'queue'], `${job}; a queue worker runs all the time: remove queue (or schedule)`);
      if (svc.autoscaling) add([...at, 'autoscaling'], `${job}, so there is nothing to scale; remove autoscaling`);
    } else if (svc.timezone !== undefined) {
      add([...at, 'timezone'], 'is the time zone of a schedule; add schedule: "cron(…)" or remove timezone');
    }
    if (svc.internal && svc.port === undefined)
      add([...at, 'internal'], 'an internal service is called at http://<service>:<port>; add port (the port it listens on)');
    if (svc.loadBalancerHealthCheck && !isPublic(svc))
      add([...at, 'loadBalancerHealthCheck'], 'only a public service (port, not internal) sits behind the load balancer; remove it');
    const lbh = svc.loadBalancerHealthCheck;
    if (lbh?.timeout !== undefined && lbh.timeout >= (lbh.interval ?? 30))
      add([...at, 'loadBalancerHealthCheck', 'timeout'], `must be less than the interval (${lbh.interval ?? 30} s)`);
    const scaling = svc.autoscaling;
    if (scaling?.backlogPerTask !== undefined && !svc.queue)
      add(
        [...at, 'autoscaling', 'backlogPerTask'],
        'scales on the messages in the service’s queue; add queue: {} (or remove backlogPerTask)',
      );
    if (scaling?.requestsPerTarget !== undefined && !isPublic(svc))
      add([...at, 'autoscaling', 'requestsPerTarget'], 'counts load balancer requests, which only a public service gets; remove it');
    if (svc.queue) {
      for (const key of QUEUE_ENV)
        if (key in svc.environment) add([...at, 'environment', key], `is set by ecs-kit for a queue worker; rename the variable`);
    }
    if (svc.ephemeralStorage !== undefined && svc.capacity === 'ec2')
      add([...at, 'ephemeralStorage'], 'is a Fargate setting; on EC2 the instance’s disk decides (remove it)');
    for (const [sidecar, s] of Object.entries(svc.sidecars)) {
      if (sidecar === name) add([...at, 'sidecars', sidecar], `has the name of the service’s own container; rename the sidecar`);
      if (s.port !== undefined && s.port === svc.port)
        add([...at, 'sidecars', sidecar, 'port'], `${s.port} is the service’s own port; give the sidecar another one`);
    }
  }
}
