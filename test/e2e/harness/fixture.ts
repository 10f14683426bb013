import { runCli, type CliOptions, type CliResult } from './cli.js';
import { clientsFor, type Clients } from './inventory.js';
import { startMoto, type Moto } from './moto.js';
import { startStrictProxy, type StrictOptions, type StrictProxy } from './strict/proxy.js';
import { tempDir } from './workdir.js';

export interface E2eOptions {
  /** Strict layer settings (rules off, windows); the hit table names it after the fixture. */
  strict?: StrictOptions;
  /** Extra env for moto_server. */
  motoEnv?: Record<string, string>;
}

export interface E2e {
  moto: Moto;
  /** The strict AWS layer in front of moto, recording every call: what the CLI talks to. */
  proxy: StrictProxy;
  /** SDK clients straight at moto: independent checks, and seeding what a real account would already have. */
  aws: Clients;
  /** A fresh temp working dir, removed by stop(). */
  dir: string;
  /** The built CLI through the layer; cwd defaults to `dir`. */
  cli(args: string[], opts?: Partial<Omit<CliOptions, 'endpoint'>>): Promise<CliResult>;
  /** The recorded calls, one per line, mutating ones starred (for assertion messages). */
  callList(): string;
  /** `service:operation` of every recorded mutating call. */
  mutating(): string[];
  stop(): Promise<void>;
}

/**
 * One e2e environment: a private moto_server on a free port, the strict layer in front of it
 * (with recording), a temp working dir and clients straight at moto. Call stop() in afterAll.
 */
export async function startE2e(name: string, opts: E2eOptions = {}): Promise<E2e> {
  const moto = await startMoto(opts.motoEnv ? { env: opts.motoEnv } : {});
  let proxy: StrictProxy | undefined;
  let work: Awaited<ReturnType<typeof tempDir>> | undefined;
  try {
    proxy = await startStrictProxy(moto.endpoint, { label: name, ...opts.strict });
    work = await tempDir(name);
  } catch (err) {
    await proxy?.stop();
    await moto.stop();
    throw err;
  }
  const p = proxy;
  const w = work;
  return {
    moto,
    proxy: p,
    aws: clientsFor(moto.endpoint),
    dir: w.dir,
    cli: (args, o = {}) => runCli(args, { cwd: w.dir, ...o, endpoint: p.endpoint }),
    callList: () => p.calls.map((c) => `${c.mutating ? '*' : ' '} ${c.service}:${c.operation}`).join('\n'),
    mutating: () => p.calls.filter((c) => c.mutating).map((c) => `${c.service}:${c.operation}`),
    async stop() {
      await p.stop();
      await moto.stop();
      await w.cleanup();
    },
  };
}
