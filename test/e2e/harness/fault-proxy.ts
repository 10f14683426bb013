import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CLI_BIN, cleanEnv, parseEvents, type CliResult } from './cli.js';
import { identify, isMutating, type RecordedCall } from './proxy.js';
import { protocolOf, writeAwsError, type Protocol } from './wire.js';

/**
 * A loopback proxy in front of moto that can (a) stop the world at the k-th AWS call, so a
 * test can SIGKILL the CLI exactly there, and (b) inject seeded faults shaped like the real
 * protocol's errors (see ../shared/notes/moto-emulator.md, "Proxy feasibility").
 * /moto-api/* always passes through untouched and uncounted.
 */

export type HoldPhase = 'before' | 'after';

export interface HeldCall extends RecordedCall {
  /** 1-based index among AWS calls. */
  index: number;
  /** 'before': moto never saw it. 'after': moto executed it; the response is being withheld. */
  phase: HoldPhase;
  /** HTTP status moto answered with (only for phase 'after'). */
  upstreamStatus?: number;
}

export type FaultKind = 'throttle' | 'error500' | 'reset' | 'lost';

export interface FaultRates {
  /** Answer with the protocol's throttling error without forwarding. */
  throttle?: number;
  /** Answer with the protocol's 5xx (ServiceUnavailable / InternalFailure) without forwarding. */
  error500?: number;
  /** Destroy the connection without forwarding. */
  reset?: number;
  /** Forward to moto, let it execute, then destroy the connection: the response is lost. */
  lost?: number;
}

export interface FaultProxyOptions {
  /** Hold the call with this 1-based index (AWS calls only). */
  holdAt?: { call: number; phase: HoldPhase };
  faults?: FaultRates & {
    seed: number;
    /** Decide per call whether faults may hit it (default: every AWS call). */
    eligible?: (call: RecordedCall) => boolean;
    /** Lost responses only where this says so (default: every eligible call). */
    lostEligible?: (call: RecordedCall) => boolean;
  };
}

export interface InjectedFault {
  kind: FaultKind;
  call: RecordedCall;
}

export interface FaultProxy {
  endpoint: string;
  calls: RecordedCall[];
  injected: InjectedFault[];
  /** Resolves when the holdAt call arrives (and, for 'after', moto has answered it). */
  held: Promise<HeldCall>;
  /** Drop whatever is held. */
  release(): void;
  stop(): Promise<void>;
}

/** mulberry32: tiny deterministic PRNG so a failing fault run can be replayed by its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The error each protocol really sends, so the SDK classifies it (throttling / transient) instead of a SyntaxError. */
function writeFault(res: ServerResponse, protocol: Protocol, kind: 'throttle' | 'error500'): void {
  const throttle = kind === 'throttle';
  const message = `injected ${kind}`;
  const fault = throttle ? 'Sender' : 'Receiver';
  const requestId = 'fault-proxy-0000';
  if (protocol === 'json' || protocol === 'cloudwatch-json') {
    const code = throttle ? 'ThrottlingException' : 'ServiceUnavailableException';
    return writeAwsError(
      res,
      protocol,
      { code, message, status: throttle ? 400 : 503, fault, queryCode: throttle ? 'Throttling' : 'ServiceUnavailable' },
      requestId,
    );
  }
  if (protocol === 'ec2')
    return writeAwsError(
      res,
      protocol,
      { code: throttle ? 'RequestLimitExceeded' : 'ServiceUnavailable', message, status: 503 },
      requestId,
    );
  writeAwsError(
    res,
    protocol,
    { code: throttle ? 'Throttling' : 'ServiceUnavailable', message, status: throttle ? 400 : 503, fault },
    requestId,
  );
}

export async function startFaultProxy(target: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const calls: RecordedCall[] = [];
  const injected: InjectedFault[] = [];
  const random = opts.faults ? seeded(opts.faults.seed) : () => 1;
  const sockets = new Set<Socket>();
  let heldSocket: Socket | undefined;
  let resolveHeld!: (h: HeldCall) => void;
  const held = new Promise<HeldCall>((r) => (resolveHeld = r));

  const forward = (
    req: IncomingMessage,
    url: string,
    body: Buffer,
    onResponse: (status: number, headers: IncomingMessage['headers'], payload: Buffer) => void,
    onError: (err: Error) => void,
  ) => {
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        const parts: Buffer[] = [];
        up.on('data', (c: Buffer) => parts.push(c));
        up.on('end', () => onResponse(up.statusCode ?? 502, up.headers, Buffer.concat(parts)));
        up.on('error', onError);
      },
    );
    out.on('error', onError);
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? '/';
      const passThrough = () =>
        forward(
          req,
          url,
          body,
          (status, headers, payload) => {
            const { 'transfer-encoding': _te, ...rest } = headers;
            res.writeHead(status, { ...rest, 'content-length': String(payload.length) });
            res.end(payload);
          },
          (err) => {
            if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(`fault proxy: upstream error: ${err.message}`);
          },
        );
      if (url.startsWith('/moto-api')) return passThrough();

      const { service, operation } = identify(req.headers, url, body.toString('utf8'), req.method);
      const call: RecordedCall = { service, operation, mutating: isMutating(operation) };
      calls.push(call);
      const index = calls.length;

      if (opts.holdAt && index === opts.holdAt.call) {
        heldSocket = req.socket;
        if (opts.holdAt.phase === 'before') {
          resolveHeld({ ...call, index, phase: 'before' });
        } else {
          forward(
            req,
            url,
            body,
            (status) => resolveHeld({ ...call, index, phase: 'after', upstreamStatus: status }),
            () => resolveHeld({ ...call, index, phase: 'after', upstreamStatus: 0 }),
          );
        }
        return; // never answered: the test kills the client, then release() drops the socket
      }

      const f = opts.faults;
      if (f && (f.eligible?.(call) ?? true)) {
        const r = random();
        let edge = 0;
        const hit = (rate: number | undefined) => r < (edge += rate ?? 0);
        if (hit(f.throttle)) {
          injected.push({ kind: 'throttle', call });
          return writeFault(res, protocolOf(req.headers, service), 'throttle');
        }
        if (hit(f.error500)) {
          injected.push({ kind: 'error500', call });
          return writeFault(res, protocolOf(req.headers, service), 'error500');
        }
        if (hit(f.reset)) {
          injected.push({ kind: 'reset', call });
          req.socket.destroy();
          return;
        }
        if (hit(f.lost) && (f.lostEligible?.(call) ?? true)) {
          injected.push({ kind: 'lost', call });
          const socket = req.socket;
          forward(
            req,
            url,
            body,
            () => socket.destroy(),
            () => socket.destroy(),
          );
          return;
        }
      }
      passThrough();
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    injected,
    held,
    release: () => heldSocket?.destroy(),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The built CLI as a child process the test can SIGKILL; `done` settles when it exits. */
export function spawnCli(
  args: string[],
  opts: { cwd: string; endpoint: string; env?: Record<string, string> },
): { child: ChildProcess; done: Promise<CliResult> } {
  const [first, ...rest] = args;
  const child = spawn(process.execPath, [CLI_BIN, first!, '--endpoint-url', opts.endpoint, ...rest], {
    cwd: opts.cwd,
    env: cleanEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr, events: parseEvents(stdout) }),
    );
  });
  return { child, done };
}

/**
 * Runs the CLI through a proxy that holds call k; SIGKILLs the CLI there. Returns what was
 * held (undefined when the run finished before reaching call k) and the run's result.
 */
export async function runAndKillAt(
  target: string,
  args: string[],
  opts: { cwd: string; call: number; phase: HoldPhase; env?: Record<string, string>; timeoutMs?: number },
): Promise<{ held?: HeldCall; result: CliResult; calls: RecordedCall[] }> {
  const proxy = await startFaultProxy(target, { holdAt: { call: opts.call, phase: opts.phase } });
  try {
    const { child, done } = spawnCli(args, { cwd: opts.cwd, endpoint: proxy.endpoint, env: opts.env });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    const first = await Promise.race([proxy.held, done.then(() => undefined)]);
    if (first) child.kill('SIGKILL');
    const result = await done;
    clearTimeout(timer);
    proxy.release();
    return { held: first, result, calls: [...proxy.calls] };
  } finally {
    await proxy.stop();
  }
}
