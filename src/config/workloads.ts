import { z } from 'zod';
import { scheduleExpressionProblem, timezoneProblem } from './schedule.js';

/*
 * The parts of a service that make it a kind of workload other than a plain public web service: a queue worker
 * (queue:), a scheduled job (schedule:), an internal service (internal:), sidecars, container and load balancer health
 * checks, and the scaling metrics beside CPU. src/config/schema.ts adds each field with one line; the rules that
 * span fields are checkWorkloadRules() below.
 */

/** SQS: VisibilityTimeout 0–43,200 s; a redrive policy's maxReceiveCount 1–1,000 (SQS API reference, SetQueueAttributes). */
export const queueSchema = z.strictObject({
  visibilityTimeout: z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(0, 'must be between 0 and 43200 seconds (12 hours)')
    .max(43_200, 'must be between 0 and 43200 seconds (12 hours)')
    .default(30)
    .describe('Seconds a received message stays hidden from other workers (0-43200, default 30).'),
  maxReceives: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 1000')
    .max(1000, 'must be between 1 and 1000')
    .default(5)
    .describe('Receives before a message moves to the dead-letter queue (1-1000, default 5).'),
});

export const scheduleField = z
  .string({ error: 'must be a schedule expression such as "cron(0 3 * * ? *)" or "rate(1 hour)"' })
  .superRefine((v, ctx) => {
    const problem = scheduleExpressionProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const timezoneField = z.string({ error: 'must be an IANA time zone such as Europe/Berlin' }).superRefine((v, ctx) => {
  const problem = timezoneProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// ECS container names: up to 255 letters, digits, hyphens and underscores (ContainerDefinition name).
const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

const sidecarSchema = z.strictObject({
  image: z
    .string()
    .min(1, 'must name an image, e.g. public.ecr.aws/aws-observability/aws-otel-collector:latest')
    .describe('The sidecar container image.'),
  /** A sidecar that stops does not stop the task unless it is essential. */
  essential: z.boolean().default(false).describe('If true, the task stops when this container stops (default false).'),
  port: z.number().int().min(1).max(65535).optional().describe('A port the sidecar listens on (1-65535).'),
  command: z.array(z.string()).optional().describe('Overrides the image command.'),
  environment: z
    .record(z.string(), z.string({ error: 'environment values must be strings (quote numbers and booleans)' }))
    .default({})
    .describe('Environment variables of the sidecar (values are strings).'),
});

export const sidecarsSchema = z
  .record(z.string().regex(CONTAINER_NAME, 'sidecar names may contain only letters, digits, hyphens and underscores'), sidecarSchema)
  .default({});

/** ECS HealthCheck: interval 5–300 s, timeout 2–120 s, retries 1–10, startPeriod 0–300 s (ECS API reference, HealthCheck). */
export const healthCheckSchema = z.strictObject({
  command: z
    .array(z.string())
    .min(2, 'must be ["CMD-SHELL", "<shell command>"] or ["CMD", "<program>", "<arg>"…]')
    .refine(
      (c) => c[0] === 'CMD' || c[0] === 'CMD-SHELL',
      'must start with "CMD" or "CMD-SHELL", e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]',
    )
    .describe('["CMD-SHELL", "<shell command>"] or ["CMD", "<program>", …]: exit 0 means healthy.'),
  interval: z
    .number()
    .int()
    .min(5, 'must be between 5 and 300 seconds')
    .max(300, 'must be between 5 and 300 seconds')
    .default(30)
    .describe('Seconds between checks (5-300, default 30).'),
  timeout: z
    .number()
    .int()
    .min(2, 'must be between 2 and 120 seconds')
    .max(120, 'must be between 2 and 120 seconds')
    .default(5)
    .describe('Seconds a check may take (2-120, default 5).'),
  retries: z
    .number()
    .int()
    .min(1, 'must be between 1 and 10')
    .max(10, 'must be between 1 and 10')
    .default(3)
    .describe('Failed checks in a row before the container is unhealthy (1-10, default 3).'),
  startPeriod: z
    .number()
    .int()
    .min(0, 'must be between 0 and 300 seconds')
    .max(300, 'must be between 0 and 300 seconds')
    .default(0)
    .describe('Seconds after start during which failures do not count (0-300, default 0).'),
});

/**
 * ELBv2 target group health check (CreateTargetGroup: interval 5–300 s, timeout 2–120 s, thresholds 2–10) and the
 * deregistration delay attribute (0–3600 s). ecs-kit's default delay is 30 s instead of AWS's 300 s: an image-only
 * rollout waits that long for every old task, so it is most of the rollout's time.
 */
export const DEFAULT_DEREGISTRATION_DELAY = 30;
export const loadBalancerHealthCheckSchema = z.strictObject({
  interval: z
    .number()
    .int()
    .min(5, 'must be between 5 and 300 seconds')
    .max(300, 'must be between 5 and 300 seconds')
    .optional()
    .describe("Seconds between the load balancer's checks (5-300)."),
  timeout: z
    .number()
    .int()
    .min(2, 'must be between 2 and 120 seconds')
    .max(120, 'must be between 2 and 120 seconds')
    .optional()
    .describe('Seconds a check may take (2-120).'),
  healthyThreshold: z
    .number()
    .int()
    .min(2, 'must be between 2 and 10')
    .max(10, 'must be between 2 and 10')
    .optional()
    .describe('Passing checks in a row before a target is healthy (2-10).'),
  unhealthyThreshold: z
    .number()
    .int()
    .min(2, 'must be between 2 and 10')
    .max(10, 'must be between 2 and 10')
    .optional()
    .describe('Failing checks in a row before a target is unhealthy (2-10).'),
  deregistrationDelay: z
    .number()
    .int()
    .min(0, 'must be between 0 and 3600 seconds')
    .max(3600, 'must be between 0 and 3600 seconds')
    .default(DEFAULT_DEREGISTRATION_DELAY)
    .describe("Seconds the load balancer drains a stopping task (0-3600, default 30; AWS's own default is 300)."),
});

const percent = (what: string) =>
  z
    .number({ error: `must be a ${what} percentage` })
    .min(10, 'must be between 10 and 90')
    .max(90, 'must be between 10 and 90');

/** Without any metric, CPU tracking at this target (what every config had before the other metrics). */
export const DEFAULT_TARGET_CPU = 60;

export const autoscalingSchema = z
  .strictObject({
    min: z.number().int().min(0).max(1000).describe('Fewest tasks autoscaling keeps (0 to 1000).'),
    max: z.number().int().min(1).max(1000).describe('Most tasks autoscaling adds (1 to 1000).'),
    targetCpu: percent('CPU').optional().describe('Average CPU % the target-tracking policy keeps (10 to 90; 60 when no metric is given).'),
    targetMemory: percent('memory').optional().describe('Average memory % the target-tracking policy keeps (10 to 90).'),
    /** ALBRequestCountPerTarget: requests per task per minute. */
    requestsPerTarget: z
      .number()
      .int()
      .min(1, 'must be at least 1 request per task per minute')
      .max(1_000_000)
      .optional()
      .describe('Load balancer requests per task per minute to keep (ALBRequestCountPerTarget).'),
    /** Visible messages in the service's queue per running task (queue workers). */
    backlogPerTask: z
      .number()
      .int()
      .min(1, 'must be at least 1 message per task')
      .max(100_000)
      .optional()
      .describe('Queue workers: visible messages per running task to keep (step scaling; min 0 scales to zero).'),
  })
  .transform((a) =>
    a.targetCpu === undefined && a.targetMemory === undefined && a.requestsPerTarget === undefined && a.backlogPerTask === undefined
      ? { ...a, targetCpu: DEFAULT_TARGET_CPU }
      : a,
  );

/** Fargate task storage: 21–200 GiB (ECS API reference, EphemeralStorage). */
export const ephemeralStorageField = z
  .number({ error: 'must be a size in GiB' })
  .int('must be a whole number of GiB')
  .min(21, 'must be between 21 and 200 GiB (Fargate gives 20 GiB without it)')
  .max(200, 'must be between 21 and 200 GiB');

/** Seconds ECS waits after SIGTERM before SIGKILL: Fargate allows up to 120 (ContainerDefinition stopTimeout). */
export const stopTimeoutField = z
  .number({ error: 'must be a number of seconds' })
  .int('must be a whole number of seconds')
  .min(2, 'must be between 2 and 120 seconds')
  .max(120, 'must be between 2 and 120 seconds');
