import path from 'node:path';

/**
 * Copilot manifests → an ecs-kit config, with nothing touching AWS. Field names and shapes follow Copilot's manifest
 * reference (aws.github.io/copilot-cli/docs/manifest/: lb-web-service, backend-service, worker-service,
 * scheduled-job, environment). What has no ecs-kit equivalent is listed, each with what to do, instead of dropped.
 */

export interface Unmapped {
  /** Where it was: "copilot/api/manifest.yml: http.alias". */
  field: string;
  /** What to do about it. */
  todo: string;
}

export interface CopilotWorkspace {
  /** copilot/.workspace, parsed. */
  workspace: Record<string, unknown>;
  /** Each copilot/<svc>/manifest.yml, parsed, by its folder. */
  services: { dir: string; manifest: Record<string, unknown> }[];
  /** Each copilot/environments/<env>/manifest.yml, parsed, by its folder. */
  environments: { dir: string; manifest: Record<string, unknown> }[];
}

export interface ImportResult {
  config: Record<string, unknown>;
  unmapped: Unmapped[];
  /** The environment whose network and load balancer settings became the base config, if any. */
  baseEnvironment?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The leaves of a value as dotted paths ("count.range"), for listing what was not mapped. */
function leaves(v: unknown, at: string): string[] {
  if (!isObj(v)) return [at];
  const out = Object.entries(v).flatMap(([k, x]) => leaves(x, `${at}.${k}`));
  return out.length ? out : [at];
}

/** Collects, per manifest, the keys it consumed; what is left over is reported. */
class Reader {
  constructor(
    readonly file: string,
    readonly out: Unmapped[],
  ) {}
  note(field: string, todo: string): void {
    this.out.push({ field: `${this.file}: ${field}`, todo });
  }
  /** Reports every key of `obj` not in `used`, with the todo `todoFor` gives (a generic one otherwise). */
  rest(obj: Obj, used: readonly string[], prefix: string, todoFor: (key: string) => string | undefined): void {
    for (const [k, v] of Object.entries(obj)) {
      if (used.includes(k)) continue;
      const todo = todoFor(k) ?? 'ecs-kit has no equivalent; leave it out, or tell us what you need it for.';
      for (const leaf of leaves(v, `${prefix}${k}`)) this.note(leaf, todo);
    }
  }
}

const SERVICE_TODO: Record<string, string> = {
  exec: 'ecs-kit has no ECS Exec; use `ecs-kit run-task <service> -- <command>` for one-off commands.',
  entrypoint: "ecs-kit sets command only; bake the entrypoint into the image's ENTRYPOINT.",
  sidecars: 'Sidecars are not mapped yet (issue 11 adds services.<svc>.sidecars); run them in the image meanwhile.',
  storage: 'Volumes and ephemeral storage are not mapped; ecs-kit tasks get the Fargate default of 20 GiB.',
  publish: 'SNS topics are not created by ecs-kit; create them yourself and grant access with services.<svc>.taskRole.',
  subscribe: 'Queues are not mapped yet (issue 11 adds services.<svc>.queue); create the queue and grant it with taskRole.',
  observability: 'X-Ray tracing is not mapped; add the ADOT collector to the image.',
  taskdef_overrides: 'Task definition overrides are not supported; tell us which setting you need.',
  deployment: 'ecs-kit rolls out with the ECS deployment circuit breaker and rollback; no setting is needed.',
  env_file: 'Copy the variables from the env file into services.<svc>.environment (secrets into secrets).',
  network: 'Only network.vpc.placement is mapped (private → network.profile: production).',
  logging: 'Only logging.retention is mapped (logRetentionDays); FireLens routing is not supported.',
  nlb: 'Network Load Balancers are not supported; ecs-kit serves HTTP(S) through one Application Load Balancer.',
  healthcheck: 'Container health checks are not mapped yet (issue 11 adds healthCheck); the load balancer health check still applies.',
  image: 'Only image.build, image.location and image.port are mapped.',
  variables: 'Only plain string values are mapped.',
};

const ENV_TODO: Record<string, string> = {
  cdn: 'CloudFront is not created by ecs-kit; put a distribution in front of the load balancer yourself.',
  observability: 'Only container_insights is mapped (cluster.containerInsights).',
  http: 'Only http.public.certificates (the first) and ingress source IPs are mapped; private load balancers are not supported.',
  network: 'Only the VPC id, its public and private subnet ids and the VPC CIDR are mapped.',
};

/** Copilot's image.build: a Dockerfile path, or { dockerfile, context, args, … }; paths from the workspace root. */
function build(b: unknown, r: Reader, toConfig: (p: string) => string): Obj | undefined {
  if (typeof b === 'string') return { context: toConfig(path.dirname(b)), dockerfile: path.basename(b) };
  if (!isObj(b)) return undefined;
  const dockerfile = typeof b.dockerfile === 'string' ? b.dockerfile : 'Dockerfile';
  const context = typeof b.context === 'string' ? b.context : path.dirname(dockerfile);
  r.rest(
    b,
    ['dockerfile', 'context', 'args'],
    'image.build.',
    () => 'Not mapped: ecs-kit builds the whole Dockerfile without cache sources.',
  );
  return {
    context: toConfig(context),
    dockerfile: path.relative(context, dockerfile) || 'Dockerfile',
    ...(isObj(b.args) ? { args: Object.fromEntries(Object.entries(b.args).map(([k, v]) => [k, String(v)])) } : {}),
  };
}

/** count: N | { spot: N } | { range: "a-b" | { min, max, spot_from }, cpu_percentage: N | { value } , … }. */
function count(c: unknown, r: Reader, svc: Obj): void {
  if (typeof c === 'number') {
    svc.desiredCount = c;
    return;
  }
  if (!isObj(c)) return;
  if (typeof c.spot === 'number') {
    svc.desiredCount = c.spot;
    svc.capacity = 'fargate-spot';
  }
  let min: number | undefined;
  let max: number | undefined;
  if (typeof c.range === 'string') [min, max] = c.range.split('-').map(Number);
  if (isObj(c.range)) {
    min = Number(c.range.min);
    max = Number(c.range.max);
    if (typeof c.range.spot_from === 'number') {
      // The first spot_from - 1 tasks on Fargate, the rest on Spot: a base on FARGATE with all the weight on Spot.
      svc.capacityStrategy = [
        { provider: 'FARGATE', base: Math.max(0, c.range.spot_from - 1), weight: 0 },
        { provider: 'FARGATE_SPOT', weight: 1 },
      ];
    }
  }
  if (min !== undefined && max !== undefined && Number.isFinite(min) && Number.isFinite(max)) {
    const cpu = isObj(c.cpu_percentage) ? c.cpu_percentage.value : c.cpu_percentage;
    svc.autoscaling = { min, max, ...(typeof cpu === 'number' ? { targetCpu: cpu } : {}) };
    svc.desiredCount = Math.max(min, 1);
  }
  r.rest(c, ['spot', 'range', 'cpu_percentage'], 'count.', (k) =>
    k === 'cooldown'
      ? 'ecs-kit uses the target-tracking defaults for cooldowns.'
      : 'ecs-kit scales on CPU only today (issue 11 adds memory and requests per target); targetCpu was kept.',
  );
}

/** Copilot secrets: NAME: ssm-parameter-name | { secretsmanager: 'name[:json-key:stage:version]' } | { from_cfn }. */
function secret(key: string, v: unknown, app: string, r: Reader): string | undefined {
  const fill = (s: string) => s.replaceAll('${COPILOT_APPLICATION_NAME}', app);
  let ref: string | undefined;
  if (typeof v === 'string') ref = `ssm:${fill(v)}`;
  if (isObj(v) && typeof v.secretsmanager === 'string') {
    const [name = '', jsonKey = ''] = fill(v.secretsmanager).split(':');
    ref = `secretsmanager:${name}${jsonKey ? `:${jsonKey}` : ''}`;
  }
  if (!ref) {
    r.note(
      `secrets.${key}`,
      'Not mapped (from_cfn): create the secret in SSM or Secrets Manager, then `ecs-kit secret set` or a reference.',
    );
    return undefined;
  }
  if (ref.includes('${COPILOT_ENVIRONMENT_NAME}')) {
    r.note(`secrets.${key}`, `Names the environment; written with it as "default": change ${ref} to the parameter of each environment.`);
    ref = ref.replaceAll('${COPILOT_ENVIRONMENT_NAME}', 'default');
  }
  return ref;
}

const SERVICE_FIELDS = ['name', 'type', 'image', 'http', 'cpu', 'memory', 'platform', 'count', 'variables', 'secrets', 'command'];

/** One service manifest; undefined when it has no ecs-kit equivalent (a Scheduled Job, a Static Site, …). */
export function mapService(m: Obj, ctx: { file: string; app: string; out: Unmapped[]; toConfig: (p: string) => string; app_: AppLevel }) {
  const r = new Reader(ctx.file, ctx.out);
  const type = typeof m.type === 'string' ? m.type : '';
  if (!['Load Balanced Web Service', 'Backend Service', 'Worker Service'].includes(type)) {
    r.note(
      'type',
      type === 'Scheduled Job'
        ? 'Scheduled jobs are not mapped yet (issue 11 adds services.<job>.schedule); run it with `ecs-kit run-task` meanwhile. Skipped.'
        : `A ${type || 'manifest without a type'} has no ecs-kit equivalent. Skipped.`,
    );
    return undefined;
  }
  const svc: Obj = {};
  const image = isObj(m.image) ? m.image : {};
  if (typeof image.location === 'string') svc.image = image.location;
  const b = build(image.build, r, ctx.toConfig);
  if (b) svc.build = b;
  r.rest(image, ['location', 'build', 'port'], 'image.', (k) => SERVICE_TODO[k === 'healthcheck' ? 'healthcheck' : 'image']);
  mapHttp(m, image, type, r, svc, ctx.app_);
  if (typeof m.cpu === 'number') svc.cpu = m.cpu;
  if (typeof m.memory === 'number') svc.memory = m.memory;
  if (typeof m.platform === 'string') svc.cpuArchitecture = /arm64/.test(m.platform) ? 'arm64' : 'x86_64';
  count(m.count, r, svc);
  if (isObj(m.variables)) {
    const vars = Object.entries(m.variables).filter(([k, v]) =>
      typeof v === 'object' && v !== null ? (r.note(`variables.${k}`, SERVICE_TODO.variables!), false) : true,
    );
    if (vars.length) svc.environment = Object.fromEntries(vars.map(([k, v]) => [k, String(v)]));
  }
  if (isObj(m.secrets)) {
    const refs = Object.entries(m.secrets).flatMap(([k, v]) => {
      const ref = secret(k, v, ctx.app, r);
      return ref ? [[k, ref] as const] : [];
    });
    if (refs.length) svc.secrets = Object.fromEntries(refs);
  }
  if (typeof m.command === 'string') svc.command = m.command.split(/\s+/).filter(Boolean);
  if (Array.isArray(m.command)) svc.command = m.command.map(String);
  const placement = isObj(m.network) && isObj(m.network.vpc) ? m.network.vpc.placement : undefined;
  if (placement === 'private') ctx.app_.privatePlacement = true;
  if (isObj(m.network))
    r.rest(
      m.network,
      placement !== undefined && Object.keys(m.network.vpc as Obj).length === 1 ? ['vpc'] : [],
      'network.',
      () => SERVICE_TODO.network,
    );
  if (isObj(m.logging) && typeof m.logging.retention === 'number') svc.logRetentionDays = m.logging.retention;
  if (isObj(m.logging)) r.rest(m.logging, ['retention'], 'logging.', () => SERVICE_TODO.logging);
  r.rest(m, [...SERVICE_FIELDS, 'network', 'logging', 'environments'], '', (k) => SERVICE_TODO[k]);
  environmentOverrides(m.environments, r, String(m.name));
  return svc;
}

/** App-wide settings several manifests contribute to. */
export interface AppLevel {
  privatePlacement?: boolean;
  allowedCidrs?: string[];
}

function mapHttp(m: Obj, image: Obj, type: string, r: Reader, svc: Obj, app: AppLevel): void {
  if (type === 'Backend Service') {
    if (image.port !== undefined || m.http !== undefined)
      r.note(
        'image.port',
        'Internal services are not mapped yet (issue 11 adds internal: true); ecs-kit would route it publicly, so no port was set.',
      );
    return;
  }
  if (type !== 'Load Balanced Web Service') return;
  if (typeof image.port === 'number') svc.port = image.port;
  if (!isObj(m.http)) {
    if (m.http === false)
      r.note('http', 'Without an Application Load Balancer there is nothing to map; ecs-kit routes public services through one.');
    return;
  }
  const h = m.http;
  if (typeof h.path === 'string') svc.path = h.path.startsWith('/') ? h.path : `/${h.path}`;
  if (typeof h.healthcheck === 'string') svc.healthCheckPath = h.healthcheck;
  if (isObj(h.healthcheck)) {
    if (typeof h.healthcheck.path === 'string') svc.healthCheckPath = h.healthcheck.path;
    r.rest(h.healthcheck, ['path'], 'http.healthcheck.', () => 'ecs-kit uses the load balancer defaults for these (issue 11 adds tuning).');
  }
  if (Array.isArray(h.allowed_source_ips))
    app.allowedCidrs = [...new Set([...(app.allowedCidrs ?? []), ...h.allowed_source_ips.map(String)])];
  r.rest(h, ['path', 'healthcheck', 'allowed_source_ips'], 'http.', (k) =>
    k === 'alias' || k === 'hosted_zone'
      ? 'ecs-kit does not manage DNS: set loadBalancer.certificateArn to an ACM certificate for the name, and point a DNS record at the URL deploy prints.'
      : k === 'redirect_to_https'
        ? 'With loadBalancer.certificateArn, ecs-kit always redirects HTTP to HTTPS.'
        : undefined,
  );
}

/** Per-environment overrides: listed with the ecs-kit path they take once environments: exists (issue 11). */
function environmentOverrides(envs: unknown, r: Reader, svc: string): void {
  if (!isObj(envs)) return;
  const target: Record<string, string> = {
    count: 'desiredCount',
    cpu: 'cpu',
    memory: 'memory',
    variables: 'environment',
    secrets: 'secrets',
  };
  for (const [env, o] of Object.entries(envs)) {
    for (const leaf of leaves(o, `environments.${env}`)) {
      const [, , key = '', ...rest] = leaf.split('.');
      const to = target[key];
      r.note(
        leaf,
        to
          ? `Per-environment overrides are not mapped yet: once ecs-kit has environments: (issue 11), write it as environments.${env}.services.${svc}.${[to, ...rest].join('.')}.`
          : 'Per-environment overrides are not mapped yet (issue 11 adds environments:); this field has no ecs-kit equivalent either.',
      );
    }
  }
}

/** An environment manifest's network, certificate and Container Insights, onto the base config. */
export function mapEnvironment(m: Obj, file: string, out: Unmapped[], config: Obj, app: AppLevel): void {
  const r = new Reader(file, out);
  const network = isObj(m.network) && isObj(m.network.vpc) ? m.network.vpc : undefined;
  if (network) {
    const net: Obj = {};
    if (typeof network.id === 'string') net.vpcId = network.id;
    if (typeof network.cidr === 'string') net.cidr = network.cidr;
    const subnets = isObj(network.subnets) ? network.subnets : {};
    const ids = (list: unknown) =>
      Array.isArray(list) ? list.map((s) => (isObj(s) ? s.id : undefined)).filter((x): x is string => typeof x === 'string') : [];
    if (ids(subnets.public).length) net.publicSubnetIds = ids(subnets.public);
    if (ids(subnets.private).length) net.privateSubnetIds = ids(subnets.private);
    if (!net.vpcId && (Array.isArray(subnets.public) || Array.isArray(subnets.private)))
      r.note(
        'network.vpc.subnets',
        'ecs-kit carves the subnets of the VPC it creates from network.cidr; the subnet CIDRs and zones were not kept.',
      );
    if (Object.keys(net).length) config.network = { ...(config.network as Obj | undefined), ...net };
    r.rest(network, ['id', 'cidr', 'subnets'], 'network.vpc.', () => ENV_TODO.network);
  }
  const http = isObj(m.http) && isObj(m.http.public) ? m.http.public : undefined;
  if (http) {
    const certs = Array.isArray(http.certificates) ? http.certificates.map(String) : [];
    if (certs[0]) config.loadBalancer = { ...(config.loadBalancer as Obj | undefined), certificateArn: certs[0] };
    if (certs.length > 1) r.note('http.public.certificates', `Only the first certificate is used (${certs[0]}).`);
    const ingress = isObj(http.ingress) && Array.isArray(http.ingress.source_ips) ? http.ingress.source_ips.map(String) : undefined;
    if (ingress) app.allowedCidrs = [...new Set([...(app.allowedCidrs ?? []), ...ingress])];
    r.rest(http, ['certificates', 'ingress'], 'http.public.', () => ENV_TODO.http);
  }
  if (isObj(m.http)) r.rest(m.http, ['public'], 'http.', () => ENV_TODO.http);
  if (isObj(m.observability) && typeof m.observability.container_insights === 'boolean')
    config.cluster = { containerInsights: m.observability.container_insights };
  if (isObj(m.observability)) r.rest(m.observability, ['container_insights'], 'observability.', () => ENV_TODO.observability);
  if (isObj(m.network)) r.rest(m.network, ['vpc'], 'network.', () => ENV_TODO.network);
  r.rest(m, ['name', 'type', 'network', 'http', 'observability'], '', (k) => ENV_TODO[k]);
}

/**
 * The whole workspace. `toConfig` turns a path from the workspace root into one from the config's folder. The base
 * config takes the environment named `preferEnv` (else the first by name); the others are listed, not merged.
 */
export function mapCopilot(ws: CopilotWorkspace, toConfig: (p: string) => string, preferEnv?: string): ImportResult {
  const unmapped: Unmapped[] = [];
  const app = typeof ws.workspace.application === 'string' ? ws.workspace.application : '';
  const config: Obj = { app };
  const level: AppLevel = {};
  const envs = [...ws.environments].sort((a, b) => a.dir.localeCompare(b.dir));
  const base = envs.find((e) => e.dir === preferEnv) ?? envs[0];
  if (base) mapEnvironment(base.manifest, `copilot/environments/${base.dir}/manifest.yml`, unmapped, config, level);
  for (const e of envs.filter((x) => x !== base)) {
    unmapped.push({
      field: `copilot/environments/${e.dir}/manifest.yml`,
      todo: `Only one environment becomes the base config (${base?.dir ?? ''}); run \`ecs-kit import copilot --env ${e.dir} --config ecs-kit.${e.dir}.yml\` for this one, or merge it as environments.${e.dir} once ecs-kit has environments: (issue 11).`,
    });
  }
  const services: Obj = {};
  for (const s of [...ws.services].sort((a, b) => a.dir.localeCompare(b.dir))) {
    const file = `copilot/${s.dir}/manifest.yml`;
    const name = typeof s.manifest.name === 'string' ? s.manifest.name : s.dir;
    const svc = mapService(s.manifest, { file, app, out: unmapped, toConfig, app_: level });
    if (svc) services[name] = svc;
  }
  const network = (config.network ?? {}) as Obj;
  if (level.privatePlacement && network.vpcId === undefined) config.network = { profile: 'production', ...network };
  if (level.allowedCidrs?.length) config.loadBalancer = { ...(config.loadBalancer as Obj | undefined), allowedCidrs: level.allowedCidrs };
  config.services = services;
  unmapped.push({
    field: 'region',
    todo: 'Copilot keeps the region in each environment, not in a manifest: add region: to ecs-kit.yml, or use --region / AWS_REGION.',
  });
  return { config, unmapped, ...(base ? { baseEnvironment: base.dir } : {}) };
}
