/*
 * Copilot's health checks onto ecs-kit's: image.healthcheck (the container's, Docker HEALTHCHECK) → healthCheck, and
 * http.healthcheck timing plus http.deregistration_delay → loadBalancerHealthCheck. Copilot writes durations as Go
 * durations ("10s", "2m", "1m30s"; manifest reference, lb-web-service and backend-service); ecs-kit takes whole
 * seconds within the ECS HealthCheck and ELBv2 target group ranges (src/config/workloads.ts). A value outside them is
 * listed, not written, so the import never produces a config ecs-kit refuses.
 */

type Obj = Record<string, unknown>;
type Note = (field: string, todo: string) => void;

/** "1m30s" → 90; a plain number is seconds already; anything else (or a fraction of a second) → undefined. */
export function seconds(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(v.trim());
  if (!m || v.trim() === '') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** [Copilot key, ecs-kit key, min, max, is a duration]. */
type Field = [string, string, number, number, boolean];

function copy(from: Obj, fields: Field[], prefix: string, note: Note): Obj {
  const out: Obj = {};
  for (const [key, to, min, max, duration] of fields) {
    if (from[key] === undefined) continue;
    const n = duration ? seconds(from[key]) : typeof from[key] === 'number' ? from[key] : undefined;
    if (n !== undefined && Number.isInteger(n) && n >= min && n <= max) out[to] = n;
    else
      note(
        `${prefix}${key}`,
        `Not mapped: ${JSON.stringify(from[key])} is outside ecs-kit's ${to} range (${min}-${max}${duration ? ' s' : ''}).`,
      );
  }
  return out;
}

const CONTAINER: Field[] = [
  ['interval', 'interval', 5, 300, true],
  ['timeout', 'timeout', 2, 120, true],
  ['retries', 'retries', 1, 10, false],
  ['start_period', 'startPeriod', 0, 300, true],
];

/** image.healthcheck → healthCheck; undefined (and listed) without a CMD / CMD-SHELL command. */
export function containerHealthCheck(h: Obj, note: Note): Obj | undefined {
  const cmd = Array.isArray(h.command) ? h.command.map(String) : undefined;
  for (const k of Object.keys(h).filter((k) => k !== 'command' && !CONTAINER.some(([c]) => c === k)))
    note(`image.healthcheck.${k}`, 'ecs-kit has no equivalent; leave it out.');
  if (!cmd || cmd.length < 2 || (cmd[0] !== 'CMD' && cmd[0] !== 'CMD-SHELL')) {
    for (const k of Object.keys(h).filter((k) => k === 'command' || CONTAINER.some(([c]) => c === k)))
      note(
        `image.healthcheck.${k}`,
        'Not mapped: ecs-kit needs command as ["CMD-SHELL", "<command>"] or ["CMD", …]; write services.<svc>.healthCheck.',
      );
    return undefined;
  }
  return { command: cmd, ...copy(h, CONTAINER, 'image.healthcheck.', note) };
}

const LOAD_BALANCER: Field[] = [
  ['interval', 'interval', 5, 300, true],
  ['timeout', 'timeout', 2, 120, true],
  ['healthy_threshold', 'healthyThreshold', 2, 10, false],
  ['unhealthy_threshold', 'unhealthyThreshold', 2, 10, false],
];

/** http.healthcheck's timing and http.deregistration_delay → loadBalancerHealthCheck (empty when none is set). */
export function loadBalancerHealthCheck(http: Obj, note: Note): Obj {
  const h = typeof http.healthcheck === 'object' && http.healthcheck !== null ? (http.healthcheck as Obj) : {};
  const out = copy(h, LOAD_BALANCER, 'http.healthcheck.', note);
  const known = ['path', ...LOAD_BALANCER.map(([k]) => k)];
  for (const k of Object.keys(h).filter((k) => !known.includes(k)))
    note(
      `http.healthcheck.${k}`,
      k === 'success_codes'
        ? 'ecs-kit counts any 200-399 answer as healthy; not mapped.'
        : k === 'grace_period'
          ? 'Not mapped: ecs-kit sets the health check grace period itself.'
          : k === 'port'
            ? 'ecs-kit checks the port the service listens on; not mapped.'
            : 'ecs-kit has no equivalent; leave it out.',
    );
  return { ...out, ...copy(http, [['deregistration_delay', 'deregistrationDelay', 0, 3600, true]], 'http.', note) };
}
