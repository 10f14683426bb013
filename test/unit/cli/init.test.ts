import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { InitOptions } from '../../../src/cli/commands/init/flags.js';
import { runInit } from '../../../src/cli/commands/init/index.js';
import { defaultAppName, sizeChoices } from '../../../src/cli/commands/init/questions.js';
import { confirmByTyping, type Choice, type Prompter } from '../../../src/cli/prompts.js';
import { parseConfigText } from '../../../src/config/load.js';
import { RecordingReporter } from '../../helpers/reporter.js';
import { AbortedError } from '../../../src/errors.js';
import { Capture } from '../ui/streams.js';
import { commandNames, resetAfterEach, strict } from '../../helpers/aws-mock.js';

type Answer = string | number | boolean | ((q: { message: string }) => never);

/**
 * Answers questions by message prefix. A question with no scripted answer takes its
 * default (like pressing Enter); an array answers the same question repeatedly.
 * Every scripted answer must pass the question's own validation.
 */
class ScriptedPrompter implements Prompter {
  asked: string[] = [];
  constructor(private readonly script: Record<string, Answer | Answer[]>) {}

  private next(message: string, fallback: unknown): unknown {
    this.asked.push(message);
    const key = Object.keys(this.script).find((k) => message.startsWith(k));
    if (key === undefined) {
      if (fallback === undefined) throw new Error(`unscripted question without a default: ${message}`);
      return fallback;
    }
    const entry = this.script[key]!;
    const value = Array.isArray(entry) ? entry.shift() : entry;
    if (typeof value === 'function') return value({ message });
    if (value === undefined) {
      if (fallback === undefined) throw new Error(`ran out of answers for: ${message}`);
      return fallback;
    }
    return value;
  }

  async input(q: { message: string; default?: string; validate?: (v: string) => true | string }): Promise<string> {
    const v = String(this.next(q.message, q.default));
    const ok = q.validate?.(v) ?? true;
    if (ok !== true) throw new Error(`answer ${JSON.stringify(v)} to "${q.message}" rejected: ${ok}`);
    return v;
  }
  async number(q: {
    message: string;
    default?: number;
    min?: number;
    max?: number;
    validate?: (v: number) => true | string;
  }): Promise<number> {
    const v = Number(this.next(q.message, q.default));
    if ((q.min !== undefined && v < q.min) || (q.max !== undefined && v > q.max)) throw new Error(`${v} out of range for "${q.message}"`);
    const ok = q.validate?.(v) ?? true;
    if (ok !== true) throw new Error(`answer ${v} to "${q.message}" rejected: ${ok}`);
    return v;
  }
  async select<T>(q: { message: string; choices: readonly Choice<T>[]; default?: T }): Promise<T> {
    this.offered[q.message] = [...q.choices] as Choice<unknown>[];
    const v = this.next(q.message, q.default) as T;
    if (!q.choices.some((c) => c.value === v)) throw new Error(`${String(v)} is not a choice for "${q.message}"`);
    return v;
  }
  async confirm(q: { message: string; default?: boolean }): Promise<boolean> {
    return Boolean(this.next(q.message, q.default));
  }
  /** What each select/checkbox offered, by message, so tests can check the labels shown. */
  offered: Record<string, Choice<unknown>[]> = {};
  /** A scripted checkbox answer is a comma-separated string of values ('' for none); unscripted takes the pre-ticked ones. */
  async checkbox<T>(q: {
    message: string;
    choices: readonly (Choice<T> & { checked?: boolean })[];
    validate?: (v: readonly T[]) => true | string;
  }): Promise<T[]> {
    this.offered[q.message] = [...q.choices] as Choice<unknown>[];
    const ticked = q.choices
      .filter((c) => c.checked)
      .map((c) => String(c.value))
      .join(',');
    const raw = String(this.next(q.message, ticked));
    const v =
      raw === ''
        ? []
        : raw.split(',').map((id) => {
            const choice = q.choices.find((c) => String(c.value) === id);
            if (!choice) throw new Error(`${id} is not a choice for "${q.message}"`);
            return choice.value;
          });
    const ok = q.validate?.(v) ?? true;
    if (ok !== true) throw new Error(`answer ${raw} to "${q.message}" rejected: ${ok}`);
    return v;
  }
}

/** Fails the test if anything is asked. */
const silent: Prompter = {
  input: async (q) => expect.fail(`unexpected question: ${q.message}`),
  number: async (q) => expect.fail(`unexpected question: ${q.message}`),
  select: async (q) => expect.fail(`unexpected question: ${q.message}`),
  confirm: async (q) => expect.fail(`unexpected question: ${q.message}`),
  checkbox: async (q) => expect.fail(`unexpected question: ${q.message}`),
};

let cwd: string;
let stdout: Capture;
let stderr: Capture;

beforeEach(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), 'My Shop_'));
  stdout = new Capture();
  stderr = new Capture();
  // Region defaults must not depend on the machine running the tests.
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_DEFAULT_REGION', undefined);
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_CONFIG_FILE', path.join(cwd, 'no-such-aws-config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', path.join(cwd, 'no-such-aws-credentials'));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(cwd, { recursive: true, force: true });
});

function init(opts: InitOptions, io: { prompter?: Prompter; interactive?: boolean; reporter?: RecordingReporter } = {}) {
  return runInit(opts, { interactive: io.interactive ?? false, cwd, stdout, stderr, prompter: io.prompter, reporter: io.reporter });
}

const written = (name = 'ecs-kit.yml') => readFile(path.join(cwd, name), 'utf8');

describe('init, interactive', () => {
  it('asks each question, writes a commented YAML file that deploy accepts, and says what to do next', async () => {
    const prompter = new ScriptedPrompter({
      'App name': 'shop',
      'AWS region': 'eu-central-1',
      'What should run': 'image',
      'Image URI': 'nginx:1.27',
      'Container port': 8080,
      'Task size': '512/2048',
      'How many tasks': 2,
      'Health-check path': '/healthz',
      'Scale the number': true,
      'Minimum tasks': 2,
      'Maximum tasks': 6,
      'Target average CPU': 50,
      'Environment variable': ['LOG_LEVEL=info', 'PORT=8080', 'GREETING=hello # world', ''],
    });
    expect(await init({}, { prompter, interactive: true })).toBe(0);

    const text = await written();
    expect(text).toContain('# Name of the app');
    expect(text).not.toContain('{{');
    const config = parseConfigText(text);
    expect(config).toMatchObject({
      app: 'shop',
      region: 'eu-central-1',
      services: {
        web: {
          image: 'nginx:1.27',
          port: 8080,
          cpu: 512,
          memory: 2048,
          desiredCount: 2,
          healthCheckPath: '/healthz',
          autoscaling: { min: 2, max: 6, targetCpu: 50 },
          environment: { LOG_LEVEL: 'info', PORT: '8080', GREETING: 'hello # world' },
        },
      },
    });
    expect(stdout.text).toContain('Wrote ecs-kit.yml for shop in eu-central-1');
    expect(stdout.text).toContain('Next: npx ecs-kit deploy\n');
    expect(stderr.text).toBe('');
  });

  it('offers defaults: app name from the folder, region from the environment, port 80, 0.25 vCPU / 512 MiB, autoscaling 1–4 at 60%', async () => {
    const prompter = new ScriptedPrompter({ 'What should run': 'image', 'Image URI': 'ghcr.io/acme/api:v2' });
    expect(await init({}, { prompter, interactive: true })).toBe(0);
    const config = parseConfigText(await written());
    expect(config.app).toBe(defaultAppName(cwd));
    expect(config.app).toMatch(/^my-shop-/);
    expect(config.region).toBe('eu-west-1');
    expect(config.services.web).toMatchObject({
      image: 'ghcr.io/acme/api:v2',
      port: 80,
      cpu: 256,
      memory: 512,
      desiredCount: 1,
      healthCheckPath: '/',
      autoscaling: { min: 1, max: 4, targetCpu: 60 },
      environment: {},
    });
  });

  it('skips every question whose flag was given', async () => {
    const prompter = new ScriptedPrompter({ 'Scale the number': true });
    const code = await init(
      {
        name: 'api',
        region: 'us-west-2',
        image: 'nginx:1.27',
        port: 3000,
        cpu: 1024,
        memory: 4096,
        count: 1,
        healthCheckPath: '/up',
        envVars: ['A=1'],
        network: 'learning',
        capacity: 'fargate',
      },
      { prompter, interactive: true },
    );
    expect(code).toBe(0);
    expect(prompter.asked).toEqual([
      'Scale the number of tasks automatically with CPU load?',
      'Minimum tasks',
      'Maximum tasks',
      'Target average CPU %',
    ]);
  });

  it('asks for the network with the NAT cost, then NAT gateways and zones for production, and writes them', async () => {
    const prompter = new ScriptedPrompter({
      Network: 'production',
      'NAT gateways': 'per-az',
      'Availability zones': '3',
      Capacity: 'fargate-spot',
      'Scale the number': false,
    });
    const code = await init(
      {
        name: 'api',
        image: 'nginx:1.27',
        region: 'us-east-1',
        port: 80,
        cpu: 256,
        memory: 512,
        count: 1,
        healthCheckPath: '/',
        envVars: [],
      },
      { prompter, interactive: true },
    );
    expect(code).toBe(0);
    expect(prompter.asked.slice(-4)).toEqual(['Network', 'NAT gateways', 'Availability zones', 'Capacity']);
    const cfg = parseConfigText(await written());
    expect(cfg.network).toMatchObject({ profile: 'production', nat: 'per-az', azs: 3 });
    expect(cfg.services.web!.capacity).toBe('fargate-spot');
  });

  it('takes --network/--nat/--azs/--capacity without asking, and rejects bad values with exit 2', async () => {
    expect(
      await init({ yes: true, name: 'api', image: 'nginx:1.27', network: 'production', nat: 'single', azs: 2, capacity: 'fargate-spot' }),
    ).toBe(0);
    const cfg = parseConfigText(await written());
    expect(cfg.network).toMatchObject({ profile: 'production', nat: 'single', azs: 2 });
    expect(cfg.services.web!.capacity).toBe('fargate-spot');
    expect(await init({ yes: true, force: true, name: 'api', image: 'nginx:1.27', network: 'prod' })).toBe(2);
  });

  it('builds from a Dockerfile, defaulting to that choice when ./Dockerfile exists', async () => {
    await writeFile(path.join(cwd, 'Dockerfile'), 'FROM nginx:1.27\n');
    const prompter = new ScriptedPrompter({ 'App name': 'shop', 'Scale the number': false });
    expect(await init({}, { prompter, interactive: true })).toBe(0);
    const text = await written();
    const config = parseConfigText(text);
    expect(config.services.web?.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(config.services.web?.image).toBeUndefined();
    expect(config.services.web?.autoscaling).toBeUndefined();
    expect(text).toContain('# autoscaling:'); // shown, commented out, so it is easy to turn on
  });

  it('offers only valid Fargate sizes', () => {
    const choices = sizeChoices();
    expect(choices[0]).toEqual({ name: '0.25 vCPU / 512 MiB', value: '256/512' });
    expect(choices.map((c) => c.value)).toContain('4096/30720');
    expect(choices.map((c) => c.value)).not.toContain('256/4096');
    for (const c of choices) {
      const [cpu, memory] = c.value.split('/');
      expect(() => parseConfigText(`app: x1\nservices:\n  web:\n    image: a\n    cpu: ${cpu}\n    memory: ${memory}\n`)).not.toThrow();
    }
  });

  it('exits 130 and writes nothing when the person presses Ctrl-C', async () => {
    const prompter = new ScriptedPrompter({
      'App name': () => {
        throw new AbortedError('Cancelled; nothing was changed.');
      },
    });
    expect(await init({}, { prompter, interactive: true })).toBe(130);
    expect(existsSync(path.join(cwd, 'ecs-kit.yml'))).toBe(false);
    expect(stderr.text).toContain('Cancelled');
  });
});

describe('init, non-interactive', () => {
  it('--yes uses flags and defaults without asking anything', async () => {
    expect(await init({ yes: true, name: 'shop', image: 'nginx:1.27' }, { prompter: silent, interactive: true })).toBe(0);
    const config = parseConfigText(await written());
    expect(config).toMatchObject({
      app: 'shop',
      region: 'eu-west-1',
      services: { web: { image: 'nginx:1.27', port: 80, cpu: 256, memory: 512, autoscaling: { min: 1, max: 4, targetCpu: 60 } } },
    });
  });

  it('round-trips every flag', async () => {
    const code = await init({
      name: 'shop',
      region: 'ap-southeast-2',
      image: 'public.ecr.aws/nginx/nginx:1.27',
      port: '8080',
      cpu: 2048,
      memory: 8192,
      count: 3,
      healthCheckPath: '/health',
      min: 2,
      max: 10,
      targetCpu: 70,
      envVars: ['DEBUG=false', 'URL=https://x.example/?a=b', 'EMPTY='],
    });
    expect(code).toBe(0);
    expect(parseConfigText(await written())).toMatchObject({
      app: 'shop',
      region: 'ap-southeast-2',
      services: {
        web: {
          image: 'public.ecr.aws/nginx/nginx:1.27',
          port: 8080,
          cpu: 2048,
          memory: 8192,
          desiredCount: 3,
          healthCheckPath: '/health',
          autoscaling: { min: 2, max: 10, targetCpu: 70 },
          environment: { DEBUG: 'false', URL: 'https://x.example/?a=b', EMPTY: '' },
        },
      },
    });
  });

  it('uses ./Dockerfile when no image is given', async () => {
    await writeFile(path.join(cwd, 'Dockerfile'), 'FROM nginx:1.27\n');
    expect(await init({ yes: true, name: 'shop' })).toBe(0);
    expect(parseConfigText(await written()).services.web?.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
  });

  it('fails with exit 2, naming the flags to pass, when it cannot tell what to run', async () => {
    expect(await init({ yes: true, name: 'shop' })).toBe(2);
    expect(stderr.text).toContain('--image nginx:1.27');
    expect(stderr.text).toContain('--dockerfile ./Dockerfile');
    expect(existsSync(path.join(cwd, 'ecs-kit.yml'))).toBe(false);
  });

  it('--no-autoscaling leaves autoscaling out', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', autoscaling: false })).toBe(0);
    expect(parseConfigText(await written()).services.web?.autoscaling).toBeUndefined();
  });

  it('picks the matching size when only --cpu or only --memory is given', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', cpu: 1024 })).toBe(0);
    expect(parseConfigText(await written()).services.web).toMatchObject({ cpu: 1024, memory: 2048 });
    expect(await init({ name: 'shop', image: 'nginx:1.27', memory: 4096, force: true })).toBe(0);
    expect(parseConfigText(await written()).services.web).toMatchObject({ cpu: 512, memory: 4096 });
  });

  it('stretches the autoscaling defaults to include --count', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', count: 6 })).toBe(0);
    expect(parseConfigText(await written()).services.web).toMatchObject({ desiredCount: 6, autoscaling: { min: 1, max: 6 } });
  });

  it('refuses to overwrite an existing config without --force, and overwrites with it', async () => {
    await writeFile(path.join(cwd, 'ecs-kit.yml'), 'app: keep-me\n');
    expect(await init({ name: 'shop', image: 'nginx:1.27' }, { prompter: silent, interactive: true })).toBe(2);
    expect(await written()).toBe('app: keep-me\n');
    expect(stderr.text).toContain('already exists');
    expect(stderr.text).toContain('--force');

    expect(await init({ name: 'shop', image: 'nginx:1.27', force: true })).toBe(0);
    expect(parseConfigText(await written()).app).toBe('shop');
  });

  it('rejects --cpu 300 with exit 2, the field path, the flag and the fix, and writes nothing', async () => {
    expect(await init({ yes: true, name: 'shop', image: 'nginx:1.27', cpu: 300 })).toBe(2);
    expect(existsSync(path.join(cwd, 'ecs-kit.yml'))).toBe(false);
    expect(stderr.text).toContain('services.web.cpu (--cpu): 300 is not a Fargate size; use 256, 512');
    expect(stderr.text).toContain('nothing was written');
    expect(stderr.text).toContain('Fix:');
    expect(stdout.text).toBe('');
  });

  it.each([
    [{ memory: 4096 * 4, cpu: 256 }, 'services.web.memory (--memory)'],
    [{ port: 70000 }, 'services.web.port (--port)'],
    [{ name: 'Bad_Name' }, 'app (--name)'],
    [{ region: 'mars' }, 'region (--region)'],
    [{ min: 3, count: 1 }, 'services.web.desiredCount (--count)'],
    [{ healthCheckPath: 'health' }, 'services.web.healthCheckPath (--health-check-path)'],
    [{ envVars: ['AWS_SECRET=abc'] }, '--env-var "AWS_SECRET": names starting with AWS_ or ECS_ are reserved'],
    [{ count: 'many' }, '--count: "many" is not a number'],
  ] as [Partial<InitOptions>, string][])('rejects %j with exit 2: %s', async (flags, message) => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', ...flags })).toBe(2);
    expect(stderr.text).toContain(message);
    expect(existsSync(path.join(cwd, 'ecs-kit.yml'))).toBe(false);
  });

  it('never echoes an environment variable value in an error', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', envVars: ['1BAD=s3cr3t-value'] })).toBe(2);
    expect(stderr.text).not.toContain('s3cr3t');
  });

  it('rejects --image together with --dockerfile', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', dockerfile: 'Dockerfile' })).toBe(2);
    expect(stderr.text).toContain('not both');
  });

  it('writes JSON when --config ends in .json', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27', envVars: ['N=1'], config: 'deploy/app.json' })).toBe(0);
    const text = await written('deploy/app.json');
    const raw = JSON.parse(text);
    expect(raw.services.web).toMatchObject({ image: 'nginx:1.27', environment: { N: '1' } });
    expect(parseConfigText(text, 'app.json')).toMatchObject({ app: 'shop', services: { web: { image: 'nginx:1.27', port: 80 } } });
    expect(stdout.text).toContain('Next: npx ecs-kit deploy --config deploy/app.json');
  });

  it('writes the build context relative to the config file and the Dockerfile relative to the context (as deploy reads them)', async () => {
    await writeFile(path.join(cwd, 'Dockerfile.prod'), 'FROM nginx\n');
    expect(await init({ name: 'shop', dockerfile: './Dockerfile.prod', context: '.', config: 'ops/ecs-kit.yml' })).toBe(0);
    expect(parseConfigText(await written('ops/ecs-kit.yml')).services.web?.build).toMatchObject({
      context: '..',
      dockerfile: 'Dockerfile.prod',
    });
  });

  it('warns when the named Dockerfile does not exist yet', async () => {
    expect(await init({ name: 'shop', dockerfile: 'docker/Dockerfile' })).toBe(0);
    expect(stderr.text).toContain('There is no docker/Dockerfile yet');
  });

  it('sends everything through the reporter when one is given (so --json stays JSON)', async () => {
    const reporter = new RecordingReporter();
    expect(await init({ name: 'shop', image: 'nginx:1.27' }, { reporter })).toBe(0);
    expect(stdout.text + stderr.text).toBe('');
    expect(reporter.ofType('output')).toEqual([{ type: 'output', name: 'config', value: 'ecs-kit.yml' }]);
    expect(reporter.ofType('info').map((e) => e.code)).toEqual(['init.written', 'init.next']);
    expect(reporter.ofType('info').map((e) => e.message)).toContain('Next: npx ecs-kit deploy');

    const failing = new RecordingReporter();
    expect(await init({ name: 'shop', image: 'nginx:1.27' }, { reporter: failing })).toBe(2);
    expect(failing.ofType('error')).toEqual([expect.objectContaining({ code: 'init.exists', fix: expect.stringContaining('--force') })]);
  });
});

describe('init region default', () => {
  it('prefers --region, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    expect(await init({ name: 'shop', image: 'a', region: 'sa-east-1' })).toBe(0);
    expect(parseConfigText(await written()).region).toBe('sa-east-1');
    vi.stubEnv('AWS_REGION', undefined);
    vi.stubEnv('AWS_DEFAULT_REGION', 'ca-central-1');
    expect(await init({ name: 'shop', image: 'a', force: true })).toBe(0);
    expect(parseConfigText(await written()).region).toBe('ca-central-1');
  });

  it("falls back to the AWS profile's region, then us-east-1", async () => {
    vi.stubEnv('AWS_REGION', undefined);
    expect(await init({ name: 'shop', image: 'a' })).toBe(0);
    expect(parseConfigText(await written()).region).toBe('us-east-1');

    const configFile = path.join(cwd, 'aws-config');
    await writeFile(configFile, '[default]\nregion = ap-south-1\n\n[profile work]\nregion = eu-north-1\n');
    vi.stubEnv('AWS_CONFIG_FILE', configFile);
    expect(await init({ name: 'shop', image: 'a', force: true })).toBe(0);
    expect(parseConfigText(await written()).region).toBe('ap-south-1');
    expect(await init({ name: 'shop', image: 'a', force: true, profile: 'work' })).toBe(0);
    expect(parseConfigText(await written()).region).toBe('eu-north-1');
  });
});

describe('init, EC2 capacity', () => {
  it('--capacity ec2 --yes writes a valid config with an ec2 block (t3.small unless --instance-type)', async () => {
    expect(await init({ yes: true, name: 'api', image: 'nginx:1.27', capacity: 'ec2' }, { prompter: silent, interactive: true })).toBe(0);
    const text = await written();
    const cfg = parseConfigText(text);
    expect(cfg.services.web!.capacity).toBe('ec2');
    expect(cfg.ec2).toEqual({ instanceType: 't3.small', min: 1, max: 2, desired: 1, spot: false });
    expect(text).toMatch(/# .*\nec2:\n/); // the block is explained
    expect(stdout.text).toContain('on EC2 t3.small instances');

    expect(
      await init({
        yes: true,
        force: true,
        name: 'api',
        image: 'nginx:1.27',
        capacity: 'ec2',
        instanceType: 'm6i.large',
        config: 'x.json',
      }),
    ).toBe(0);
    expect(parseConfigText(await written('x.json'), 'x.json').ec2).toMatchObject({ instanceType: 'm6i.large' });
  });

  it('leaves the ec2 block out for Fargate, and rejects --instance-type with Fargate or a bad type (exit 2)', async () => {
    expect(await init({ yes: true, name: 'api', image: 'nginx:1.27' })).toBe(0);
    expect(parseConfigText(await written()).ec2).toBeUndefined();
    expect(await written()).not.toMatch(/^ec2:/m);
    expect(await init({ yes: true, force: true, name: 'api', image: 'nginx:1.27', capacity: 'fargate', instanceType: 't3.small' })).toBe(2);
    expect(stderr.text).toContain('--instance-type applies only to --capacity ec2');
    expect(await init({ yes: true, force: true, name: 'api', image: 'nginx:1.27', capacity: 'ec2', instanceType: 'big' })).toBe(2);
    expect(stderr.text).toContain('ec2.instanceType (--instance-type)');
    expect(await init({ yes: true, force: true, name: 'api', image: 'nginx:1.27', capacity: 'lambda' })).toBe(2);
    expect(stderr.text).toContain('fargate or fargate-spot or ec2');
  });

  it('offers ec2 with its cost trade-off and asks for the instance type', async () => {
    const prompter = new ScriptedPrompter({ Capacity: 'ec2', 'EC2 instance type': 'c7g.medium', 'Scale the number': false });
    expect(
      await init(
        {
          name: 'api',
          image: 'nginx:1.27',
          region: 'us-east-1',
          port: 80,
          cpu: 256,
          memory: 512,
          count: 1,
          healthCheckPath: '/',
          envVars: [],
          network: 'learning',
        },
        { prompter, interactive: true },
      ),
    ).toBe(0);
    expect(prompter.offered['Capacity']!.find((c) => c.value === 'ec2')!.description).toContain('by the hour');
    expect(prompter.asked.slice(-2)).toEqual(['Capacity', 'EC2 instance type']);
    const cfg = parseConfigText(await written());
    expect(cfg.services.web!.capacity).toBe('ec2');
    expect(cfg.ec2?.instanceType).toBe('c7g.medium');
  });
});

describe('init, existing VPC', () => {
  const ec2 = strict(mockClient(EC2Client));
  resetAfterEach(ec2);
  beforeEach(() => strict(ec2));

  const flags: InitOptions = {
    name: 'api',
    image: 'nginx:1.27',
    region: 'eu-west-2',
    port: 80,
    cpu: 256,
    memory: 512,
    count: 1,
    healthCheckPath: '/',
    envVars: [],
    capacity: 'fargate',
  };
  const subnets = [
    {
      SubnetId: 'subnet-0aa',
      AvailabilityZone: 'eu-west-2a',
      CidrBlock: '10.1.0.0/24',
      MapPublicIpOnLaunch: true,
      Tags: [{ Key: 'Name', Value: 'pub-a' }],
    },
    { SubnetId: 'subnet-0bb', AvailabilityZone: 'eu-west-2b', CidrBlock: '10.1.1.0/24', MapPublicIpOnLaunch: true },
    {
      SubnetId: 'subnet-0cc',
      AvailabilityZone: 'eu-west-2a',
      CidrBlock: '10.1.2.0/24',
      MapPublicIpOnLaunch: false,
      Tags: [{ Key: 'Name', Value: 'priv-a' }],
    },
    { SubnetId: 'subnet-0dd', AvailabilityZone: 'eu-west-2b', CidrBlock: '10.1.3.0/24', MapPublicIpOnLaunch: false },
  ];

  it('lists the VPCs and their subnets, and writes the picked ids as network.vpcId/publicSubnetIds/privateSubnetIds', async () => {
    ec2.on(DescribeVpcsCommand).resolves({
      Vpcs: [
        { VpcId: 'vpc-0def', CidrBlock: '172.31.0.0/16', IsDefault: true, State: 'available' },
        { VpcId: 'vpc-05e0a', CidrBlock: '10.1.0.0/16', State: 'available', Tags: [{ Key: 'Name', Value: 'shop-prod' }] },
      ],
    });
    ec2.on(DescribeSubnetsCommand, { Filters: [{ Name: 'vpc-id', Values: ['vpc-05e0a'] }] }).resolves({ Subnets: subnets });
    // Public: the two pre-ticked ones; private: only one of the two offered.
    const prompter = new ScriptedPrompter({
      Network: 'existing',
      VPC: 'vpc-05e0a',
      'Private subnets': 'subnet-0dd',
      'Scale the number': false,
    });
    expect(await init(flags, { prompter, interactive: true })).toBe(0);

    expect(prompter.offered['VPC']!.map((c) => c.name)).toEqual(['vpc-0def  172.31.0.0/16', 'vpc-05e0a  10.1.0.0/16  shop-prod']);
    const pub = prompter.offered['Public subnets for the load balancer (2+ availability zones)']!;
    expect(pub[0]).toMatchObject({ name: 'subnet-0aa  eu-west-2a  10.1.0.0/24  pub-a', checked: true });
    expect(pub[1]).toMatchObject({ name: 'subnet-0cc  eu-west-2a  10.1.2.0/24  priv-a', checked: false });
    const priv = Object.entries(prompter.offered).find(([m]) => m.startsWith('Private subnets'))![1];
    expect(priv.map((c) => c.value)).toEqual(['subnet-0cc', 'subnet-0dd']); // the public ones are not offered again

    const text = await written();
    const cfg = parseConfigText(text);
    expect(cfg.network).toMatchObject({
      vpcId: 'vpc-05e0a',
      publicSubnetIds: ['subnet-0aa', 'subnet-0bb'],
      privateSubnetIds: ['subnet-0dd'],
    });
    expect(text).not.toMatch(/^\s*profile:/m);
    expect(commandNames(ec2)).toEqual(['DescribeVpcs', 'DescribeSubnets']);
    expect(stdout.text).toContain('in vpc-05e0a');
  });

  it('rejects a public pick that spans one availability zone', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-05e0a', CidrBlock: '10.1.0.0/16' }] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: subnets });
    const prompter = new ScriptedPrompter({ Network: 'existing', VPC: 'vpc-05e0a', 'Public subnets': 'subnet-0aa,subnet-0cc' });
    await expect(init(flags, { prompter, interactive: true })).rejects.toThrow('at least 2 availability zones');
    expect(existsSync(path.join(cwd, 'ecs-kit.yml'))).toBe(false);
  });

  it('explains and asks for the ids as text when the VPCs cannot be listed', async () => {
    ec2
      .on(DescribeVpcsCommand)
      .rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    const prompter = new ScriptedPrompter({
      Network: 'existing',
      'VPC id': 'vpc-0abc',
      'Public subnet ids': 'subnet-01, subnet-02',
      'Private subnet ids': '',
      'Scale the number': false,
    });
    expect(await init(flags, { prompter, interactive: true })).toBe(0);
    expect(stderr.text).toContain('Could not list the VPCs in eu-west-2 (CredentialsProviderError: Could not load credentials');
    expect(parseConfigText(await written()).network).toMatchObject({
      vpcId: 'vpc-0abc',
      publicSubnetIds: ['subnet-01', 'subnet-02'],
      privateSubnetIds: [],
    });
  });

  it('takes --vpc-id/--public-subnets/--private-subnets without any AWS call, and deploy-style validation catches bad ones', async () => {
    expect(
      await init({
        yes: true,
        name: 'api',
        image: 'nginx:1.27',
        vpcId: 'vpc-0abc',
        publicSubnets: 'subnet-01,subnet-02',
        privateSubnets: 'subnet-03, subnet-04',
      }),
    ).toBe(0);
    expect(parseConfigText(await written()).network).toMatchObject({
      vpcId: 'vpc-0abc',
      publicSubnetIds: ['subnet-01', 'subnet-02'],
      privateSubnetIds: ['subnet-03', 'subnet-04'],
    });
    expect(ec2.calls()).toHaveLength(0);

    expect(await init({ yes: true, force: true, name: 'api', image: 'nginx:1.27', vpcId: 'vpc-0abc', publicSubnets: 'subnet-01' })).toBe(2);
    expect(stderr.text).toContain('network.publicSubnetIds (--public-subnets)');
    expect(await init({ yes: true, force: true, name: 'api', image: 'nginx:1.27', publicSubnets: 'subnet-01,subnet-02' })).toBe(2);
    expect(stderr.text).toContain('without --vpc-id');
    expect(
      await init({
        yes: true,
        force: true,
        name: 'api',
        image: 'nginx:1.27',
        vpcId: 'vpc-0abc',
        publicSubnets: 'subnet-01,subnet-02',
        network: 'production',
      }),
    ).toBe(2);
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('defaultAppName', () => {
  it.each([
    ['/home/me/My Shop_2', 'my-shop-2'],
    ['/x/123-api', 'api'],
    ['/x/a', 'my-app'],
    ['/x/' + 'very-long-project-name-that-keeps-going', 'very-long-project-name-t'],
    ['/x/Über--App-', 'ber-app'],
  ])('%s → %s', (dir, name) => expect(defaultAppName(dir)).toBe(name));
});

describe('the YAML template', () => {
  it('has a comment for each field it writes', async () => {
    expect(await init({ name: 'shop', image: 'nginx:1.27' })).toBe(0);
    const text = await written();
    const lines = text.split('\n');
    for (const field of [
      'app',
      'region',
      'profile',
      'cidr',
      'containerInsights',
      'keepImages',
      'image',
      'port',
      'path',
      'cpu',
      'desiredCount',
      'healthCheckPath',
      'environment',
      'autoscaling',
      'logRetentionDays',
    ]) {
      const i = lines.findIndex((l) => new RegExp(`^\\s*${field}:`).test(l));
      expect(i, field).toBeGreaterThan(0);
      // the field's own comment sits right above it (cpu and memory share one)
      expect(lines[i - 1]!.trim().startsWith('#'), field).toBe(true);
    }
    expect(parseYaml(text).services.web.logRetentionDays).toBe(30);
  });

  it.each([
    [{ image: 'nginx:1.27', network: 'production', nat: 'per-az', azs: 3, capacity: 'ec2', envVars: ['A=1', 'B=yes', 'C=x # y'] }],
    [{ dockerfile: 'Dockerfile', autoscaling: false, vpcId: 'vpc-0abc', publicSubnets: 'subnet-01,subnet-02', capacity: 'fargate-spot' }],
  ] as Partial<InitOptions>[][])('writes the same config as YAML and as JSON: %j', async (flags) => {
    expect(await init({ yes: true, name: 'shop', ...flags, config: 'a.yml' })).toBe(0);
    expect(await init({ yes: true, name: 'shop', ...flags, config: 'a.json' })).toBe(0);
    expect(JSON.parse(await written('a.json'))).toEqual(parseYaml(await written('a.yml')));
  });

  it('templates/ecs-kit.yml is exactly what init writes for the defaults, and deploy accepts it', async () => {
    const template = await readFile(new URL('../../../templates/ecs-kit.yml', import.meta.url), 'utf8');
    expect(parseConfigText(template)).toMatchObject({
      app: 'my-app',
      region: 'us-east-1',
      services: { web: { image: 'nginx:1.27', capacity: 'fargate' } },
    });
    expect(await init({ yes: true, name: 'my-app', region: 'us-east-1', image: 'nginx:1.27' })).toBe(0);
    // After changing init's document.ts, regenerate it with:
    //   node bin/ecs-kit.js init --yes --name my-app --region us-east-1 --image nginx:1.27 --config templates/ecs-kit.yml --force
    expect(await written()).toBe(template);
  });
});

describe('confirmByTyping', () => {
  it('is true only when the exact text is typed', async () => {
    const ask = (answer: string) => confirmByTyping(new ScriptedPrompter({ Type: answer }), 'shop', 'Type the app name (shop) to confirm:');
    expect(await ask('shop')).toBe(true);
    expect(await ask('  shop ')).toBe(true);
    expect(await ask('Shop')).toBe(false);
    expect(await ask('')).toBe(false);
  });
});
