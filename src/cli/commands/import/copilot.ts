import path from 'node:path';
import { containerHealthCheck, loadBalancerHealthCheck } from './copilot-health.js';
import { copilotSchedule } from './copilot-schedule.js';

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
  /** The environments written as environments.<name> overrides. */
  environments: string[];
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
    /** "environments.prod." while reading a service's overrides for prod. */
    readonly prefix = '',
  ) {}
  note(field: string, todo: string): void {
    this.out.push({ field: `${this.file}: ${this.prefix}${field}`, todo });
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
  sidecars: 'Sidecars are not mapped; write each as services.<svc>.sidecars.<name> (image, essential, environment, …).',
  storage: 'Volumes and ephemeral storage are not mapped; ecs-kit tasks get the Fargate default of 20 GiB.',
  publish: 'SNS topics are not created by ecs-kit; create them yourself and grant access with services.<svc>.taskRole.',
  subscribe:
    'SNS subscriptions are not mapped; for a queue worker write services.<svc>.queue: {} (ecs-kit creates the queue and a dead-letter queue).',
  observability: 'X-Ray tracing is not mapped; add the ADOT collector to the image.',
  taskdef_overrides: 'Task definition overrides are not supported; tell us which setting you need.',
  deployment: 'ecs-kit rolls out with the ECS deployment circuit breaker and rollback; no setting is needed.',
  env_file: 'Copy the variables from the env file into services.<svc>.environment (secrets into secrets).',
  network:
    'Only network.vpc.placement (private → network.profile: production) and network.connect (ecs-kit services join Service Connect when the app has internal services) are mapped.',
  logging: 'Only logging.retention is mapped (logRetentionDays); FireLens routing is not supported.',
  nlb: 'Network Load Balancers are not supported; ecs-kit serves HTTP(S) through one Application Load Balancer.',
  image: 'Only image.build, image.location and image.port are mapped.',
  variables: 'Only plain string values are mapped.',
  on: 'Only on.schedule is mapped (schedule:).',
  retries: 'ecs-kit runs a scheduled job once per schedule, without retries; retry inside the job.',
  timeout: 'ecs-kit does not stop a scheduled job after a timeout; stop it from inside the job.',
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
      : 'Not mapped: targetCpu was kept; add the other metric to services.<svc>.autoscaling by hand.',
  );
}

/** Copilot secrets: NAME: ssm-parameter-name | { secretsmanager: 'name[:json-key:stage:version]' } | { from_cfn }. */
function secret(key: string, v: unknown, ctx: ServiceContext, r: Reader): string | undefined {
  const app = ctx.app;
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
    // Written per environment: the base with the base environment's name, each other environment as an override.
    if (!ctx.prefix) ctx.envSecrets[key] = ref;
    if (!ctx.env) r.note(`secrets.${key}`, `Names the environment and the workspace has none; written with "default": change ${ref}.`);
    ref = ref.replaceAll('${COPILOT_ENVIRONMENT_NAME}', ctx.env ?? 'default');
  }
  return ref;
}

const SERVICE_FIELDS = ['name', 'type', 'image', 'http', 'cpu', 'memory', 'platform', 'count', 'variables', 'secrets', 'command'];
const KINDS = ['Load Balanced Web Service', 'Backend Service', 'Worker Service', 'Scheduled Job'];

/** What mapping one service manifest (or one environment's overrides of it) needs. */
export interface ServiceContext {
  file: string;
  app: string;
  out: Unmapped[];
  toConfig: (p: string) => string;
  /** App-wide settings this manifest contributes to (per environment while reading overrides). */
  app_: AppLevel;
  /** The Copilot environment ${COPILOT_ENVIRONMENT_NAME} stands for here. */
  env?: string;
  /** Set while reading environments.<env> of a service: "environments.<env>.". */
  prefix?: string;
  /** Secret references that name the environment, by key, with ${COPILOT_ENVIRONMENT_NAME} left in. */
  envSecrets: Record<string, string>;
  /** A service's environments.<env> overrides, mapped: env → its ecs-kit fields and app-wide settings. */
  overrides: Record<string, { svc: Obj; level: AppLevel }>;
}

/** One service manifest; undefined when it has no ecs-kit equivalent (a Static Site, a Request-Driven Web Service, …). */
export function mapService(m: Obj, ctx: ServiceContext): Obj | undefined {
  const r = new Reader(ctx.file, ctx.out, ctx.prefix);
  const type = typeof m.type === 'string' ? m.type : '';
  if (!KINDS.includes(type)) {
    r.note('type', `A ${type || 'manifest without a type'} has no ecs-kit equivalent. Skipped.`);
    return undefined;
  }
  const svc: Obj = {};
  const image = isObj(m.image) ? m.image : {};
  if (typeof image.location === 'string') svc.image = image.location;
  const b = build(image.build, r, ctx.toConfig);
  if (b) svc.build = b;
  r.rest(image, ['location', 'build', 'port', 'healthcheck'], 'image.', () => SERVICE_TODO.image);
  const health = isObj(image.healthcheck) ? containerHealthCheck(image.healthcheck, (f, t) => r.note(f, t)) : undefined;
  if (health) svc.healthCheck = health;
  if (type === 'Scheduled Job' && !mapSchedule(m, r, svc, ctx)) return undefined;
  mapHttp(m, image, type, r, svc, ctx);
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
      const ref = secret(k, v, ctx, r);
      return ref ? [[k, ref] as const] : [];
    });
    if (refs.length) svc.secrets = Object.fromEntries(refs);
  }
  if (typeof m.command === 'string') svc.command = m.command.split(/\s+/).filter(Boolean);
  if (Array.isArray(m.command)) svc.command = m.command.map(String);
  mapNetworkAndLogs(m, r, svc, ctx.app_);
  const own = type === 'Scheduled Job' ? ['on', 'retries', 'timeout'] : [];
  r.rest(m, [...SERVICE_FIELDS, 'network', 'logging', 'environments', ...own], '', (k) => SERVICE_TODO[k]);
  for (const k of own.filter((k) => k !== 'on' && m[k] !== undefined)) r.note(k, SERVICE_TODO[k]!);
  if (!ctx.prefix) environmentOverrides(m, ctx);
  return svc;
}

/** A Scheduled Job's on.schedule → schedule:; false (and listed) when it has no ecs-kit schedule. */
function mapSchedule(m: Obj, r: Reader, svc: Obj, ctx: ServiceContext): boolean {
  const on = isObj(m.on) ? m.on : {};
  if (isObj(m.on)) r.rest(m.on, ['schedule'], 'on.', () => SERVICE_TODO.on);
  if (typeof on.schedule !== 'string') {
    if (ctx.prefix) return true;
    r.note('on.schedule', 'A Scheduled Job without on.schedule has nothing to map. Skipped.');
    return false;
  }
  const converted = copilotSchedule(on.schedule);
  if ('expression' in converted) {
    svc.schedule = converted.expression;
    return true;
  }
  r.note('on.schedule', `Not mapped: ${converted.problem}. ${ctx.prefix ? 'The base schedule applies.' : 'Skipped.'}`);
  return Boolean(ctx.prefix);
}

function mapNetworkAndLogs(m: Obj, r: Reader, svc: Obj, app: AppLevel): void {
  const vpc = isObj(m.network) && isObj(m.network.vpc) ? m.network.vpc : undefined;
  if (vpc?.placement === 'private') app.privatePlacement = true;
  if (isObj(m.network)) {
    const used = ['connect', ...(vpc && Object.keys(vpc).join() === 'placement' ? ['vpc'] : [])];
    r.rest(m.network, used, 'network.', () => SERVICE_TODO.network);
  }
  if (isObj(m.logging) && typeof m.logging.retention === 'number') svc.logRetentionDays = m.logging.retention;
  if (isObj(m.logging)) r.rest(m.logging, ['retention'], 'logging.', () => SERVICE_TODO.logging);
}

/** App-wide settings several manifests contribute to. */
export interface AppLevel {
  privatePlacement?: boolean;
  allowedCidrs?: string[];
}

/** A Backend Service with a port is an internal service (Service Connect); a Load Balanced Web Service is public. */
function mapHttp(m: Obj, image: Obj, type: string, r: Reader, svc: Obj, ctx: ServiceContext): void {
  const app = ctx.app_;
  if (type === 'Backend Service') {
    if (typeof image.port === 'number') {
      svc.port = image.port;
      if (!ctx.prefix) svc.internal = true;
    }
    if (m.http !== undefined)
      for (const leaf of leaves(m.http, 'http'))
        r.note(
          leaf,
          "Copilot's internal load balancer is not mapped: an ecs-kit internal service is called at http://<service>:<port> through Service Connect.",
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
  if (isObj(h.healthcheck) && typeof h.healthcheck.path === 'string') svc.healthCheckPath = h.healthcheck.path;
  const lb = loadBalancerHealthCheck(h, (f, t) => r.note(f, t));
  if (Object.keys(lb).length) svc.loadBalancerHealthCheck = lb;
  if (Array.isArray(h.allowed_source_ips))
    app.allowedCidrs = [...new Set([...(app.allowedCidrs ?? []), ...h.allowed_source_ips.map(String)])];
  r.rest(h, ['path', 'healthcheck', 'allowed_source_ips', 'deregistration_delay'], 'http.', (k) =>
    k === 'alias' || k === 'hosted_zone'
      ? 'ecs-kit does not manage DNS: set loadBalancer.certificateArn to an ACM certificate for the name, and point a DNS record at the URL deploy prints.'
      : k === 'redirect_to_https'
        ? 'With loadBalancer.certificateArn, ecs-kit always redirects HTTP to HTTPS.'
        : undefined,
  );
}

/** A service's environments.<env>: each read like the manifest itself, into ctx.overrides[env]. */
function environmentOverrides(m: Obj, ctx: ServiceContext): void {
  if (!isObj(m.environments)) return;
  for (const [env, o] of Object.entries(m.environments)) {
    if (!isObj(o)) continue;
    const level: AppLevel = {};
    const fragment = { ...o, name: m.name, type: m.type };
    const svc = mapService(fragment, { ...ctx, app_: level, env, prefix: `environments.${env}.` });
    if (svc && (Object.keys(svc).length || Object.keys(level).length)) ctx.overrides[env] = { svc, level };
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
    // One subnet of each kind per zone in Copilot's VPC: the count is the zones ecs-kit spreads over (2 or 3).
    const zones = Math.max(...[subnets.public, subnets.private].map((l) => (Array.isArray(l) ? l.length : 0)));
    if (!net.vpcId && (zones === 2 || zones === 3)) net.azs = zones;
    if (!net.vpcId && zones > 0)
      r.note(
        'network.vpc.subnets',
        `ecs-kit carves the subnets of the VPC it creates from network.cidr${net.azs ? `, in ${zones} zones (network.azs)` : ''}; the subnet CIDRs and zone names were not kept (pin zones with network.zoneIds).`,
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

type EnvManifest = CopilotWorkspace['environments'][number];
const TOP = ['network', 'loadBalancer', 'cluster'];

/** The network, load balancer and cluster settings of one environment, with the app-wide settings the services add. */
function topLevel(env: EnvManifest | undefined, level: AppLevel, out: Unmapped[]): Obj {
  const top: Obj = {};
  const lvl: AppLevel = { ...level, ...(level.allowedCidrs ? { allowedCidrs: [...level.allowedCidrs] } : {}) };
  if (env) mapEnvironment(env.manifest, `copilot/environments/${env.dir}/manifest.yml`, out, top, lvl);
  const network = (top.network ?? {}) as Obj;
  if (lvl.privatePlacement && network.vpcId === undefined) top.network = { profile: 'production', ...network };
  if (lvl.allowedCidrs?.length) top.loadBalancer = { ...(top.loadBalancer as Obj | undefined), allowedCidrs: lvl.allowedCidrs };
  return top;
}

const joinLevels = (a: AppLevel, b: AppLevel = {}): AppLevel => ({
  ...(a.privatePlacement || b.privatePlacement ? { privatePlacement: true } : {}),
  ...(a.allowedCidrs || b.allowedCidrs ? { allowedCidrs: [...new Set([...(a.allowedCidrs ?? []), ...(b.allowedCidrs ?? [])])] } : {}),
});

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The override that turns base into full under ecs-kit's merge (mappings merge, anything else replaces, null removes). */
function overrideOf(base: unknown, full: unknown): unknown {
  if (same(base, full)) return undefined;
  if (!isObj(base) || !isObj(full)) return full === undefined ? null : full;
  const out: Obj = {};
  for (const k of new Set([...Object.keys(base), ...Object.keys(full)])) {
    const d = overrideOf(base[k], full[k]);
    if (d !== undefined) out[k] = d;
  }
  return out;
}

const pick = (o: Obj, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => keys.includes(k)));

/** Each service's mapped environments.<env> overrides, plus the secrets that name the environment, by env then service. */
function mapServices(ws: CopilotWorkspace, ctx: Omit<ServiceContext, 'file' | 'envSecrets' | 'overrides'>, others: string[]) {
  const services: Obj = {};
  const perEnv: Record<string, { services: Record<string, Obj>; level: AppLevel }> = {};
  for (const s of [...ws.services].sort((a, b) => a.dir.localeCompare(b.dir))) {
    const c: ServiceContext = { ...ctx, file: `copilot/${s.dir}/manifest.yml`, envSecrets: {}, overrides: {} };
    const name = typeof s.manifest.name === 'string' ? s.manifest.name : s.dir;
    const svc = mapService(s.manifest, c);
    if (!svc) continue;
    services[name] = svc;
    const at = (env: string) => (perEnv[env] ??= { services: {}, level: {} });
    for (const [env, o] of Object.entries(c.overrides)) {
      at(env).services[name] = o.svc;
      at(env).level = joinLevels(at(env).level, o.level);
    }
    for (const [key, ref] of Object.entries(c.envSecrets))
      for (const env of others) {
        const over = (at(env).services[name] ??= {});
        over.secrets = { [key]: ref.replaceAll('${COPILOT_ENVIRONMENT_NAME}', env), ...(over.secrets as Obj | undefined) };
      }
  }
  return { services, perEnv };
}

/**
 * The whole workspace. `toConfig` turns a path from the workspace root into one from the config's folder. The base
 * config takes the environment named `preferEnv` (else the first by name); every other environment, and each
 * service's environments.<env>, becomes environments.<env> (what differs from the base), for `--env <env>`.
 */
export function mapCopilot(ws: CopilotWorkspace, toConfig: (p: string) => string, preferEnv?: string): ImportResult {
  const unmapped: Unmapped[] = [];
  const app = typeof ws.workspace.application === 'string' ? ws.workspace.application : '';
  const envs = [...ws.environments].sort((a, b) => a.dir.localeCompare(b.dir));
  const base = envs.find((e) => e.dir === preferEnv) ?? envs[0];
  const others = envs.filter((e) => e !== base);
  // Services first: they add app-wide settings (private placement, allowed source IPs) that every environment gets.
  const level: AppLevel = {};
  const ctx = { app, out: unmapped, toConfig, app_: level, ...(base ? { env: base.dir } : {}) };
  const { services, perEnv } = mapServices(
    ws,
    ctx,
    others.map((e) => e.dir),
  );
  const config: Obj = { app, ...topLevel(base, level, unmapped) };
  const environments: Record<string, Obj> = {};
  for (const e of envs) {
    const full = topLevel(e, joinLevels(level, perEnv[e.dir]?.level), e === base ? [] : unmapped);
    const over = overrideOf(pick(config, TOP), full);
    if (isObj(over) && Object.keys(over).length) environments[e.dir] = over;
  }
  for (const [env, o] of Object.entries(perEnv))
    if (Object.keys(o.services).length) environments[env] = { ...environments[env], services: o.services };
  config.services = services;
  if (Object.keys(environments).length)
    config.environments = Object.fromEntries(Object.entries(environments).sort(([a], [b]) => a.localeCompare(b)));
  unmapped.push({
    field: 'region',
    todo: 'Copilot keeps the region in each environment, not in a manifest: add region: to ecs-kit.yml, or use --region / AWS_REGION.',
  });
  return { config, unmapped, environments: Object.keys(environments).sort(), ...(base ? { baseEnvironment: base.dir } : {}) };
}
