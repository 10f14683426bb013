import { Option } from 'commander';
import { UsageError } from '../../../errors.js';
import type { CommandSpec } from '../../command-spec.js';
import { collect, intArg, numberArg } from '../../flags.js';
import { isInteractive } from '../../options.js';
import type { InitOptions } from './flags.js';

/** --env-var arrives as envVar (commander's name for the flag); the handler calls the list envVars. */
type InitFlags = Omit<InitOptions, 'envVars'> & { envVar: string[] };

export const init: CommandSpec<InitFlags, []> = {
  name: 'init',
  description: 'ask a few questions (or take flags) and write ecs-kit.yml',
  options: [
    new Option('--name <app>', 'app name (lowercase letters, digits, hyphens)'),
    new Option('--image <uri>', 'an existing image to run, e.g. nginx:1.27'),
    new Option('--dockerfile <path>', 'build this Dockerfile and push it to ECR instead of --image'),
    new Option('--context <dir>', 'docker build context for --dockerfile').default('.'),
    new Option('--port <n>', 'container port the load balancer sends traffic to').argParser(intArg('--port')),
    new Option('--cpu <units>', 'Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384').argParser(intArg('--cpu')),
    new Option('--memory <mib>', 'memory in MiB (must be valid for --cpu)').argParser(intArg('--memory')),
    new Option('--count <n>', 'desired number of tasks').argParser((v) => Number(v)),
    new Option('--health-check-path <path>', 'path the load balancer checks'),
    new Option('--min <n>', 'autoscaling minimum tasks').argParser((v) => Number(v)),
    new Option('--max <n>', 'autoscaling maximum tasks').argParser((v) => Number(v)),
    new Option('--target-cpu <percent>', 'autoscaling target average CPU %').argParser(numberArg),
    new Option('--no-autoscaling', 'do not configure autoscaling'),
    new Option('-e, --env-var <KEY=VALUE>', 'environment variable for the container (repeatable)').argParser(collect).default([]),
    new Option(
      '--network <profile>',
      'learning (public subnets, no NAT) or production (private subnets + NAT gateway, billed per hour and GB)',
    ),
    new Option('--nat <mode>', 'production: single (one NAT gateway) or per-az (one per zone)'),
    new Option('--azs <n>', 'production: 2 or 3 availability zones').argParser(intArg('--azs')),
    new Option('--capacity <kind>', 'fargate, fargate-spot or ec2'),
    new Option('--instance-type <type>', 'capacity ec2: the EC2 instance type (default t3.small)'),
    new Option('--vpc-id <id>', 'use this existing VPC instead of creating one (ecs-kit never changes it)'),
    new Option('--public-subnets <ids>', 'with --vpc-id: comma-separated subnets for the load balancer (2+ zones)'),
    new Option('--private-subnets <ids>', 'with --vpc-id: comma-separated subnets for the tasks'),
    new Option('--force', 'overwrite an existing config file'),
    new Option('--ci <provider>', 'also write a CI pipeline that deploys on every merge: github (.github/workflows/deploy.yml)'),
  ],
  async run({ opts, io, reporter }) {
    // --env is the global environment name; a KEY=VALUE there was meant for the container and would be dropped.
    if (opts.env.includes('=')) {
      throw new UsageError(
        `--env ${opts.env}: --env names the environment (e.g. --env prod), so this variable would be dropped.`,
        `To set a container environment variable, use -e ${opts.env} (or --env-var ${opts.env}).`,
        'init.env-flag',
      );
    }
    const { runInit } = await import('./index.js');
    const { envVar, ...rest } = opts;
    return runInit(
      { ...rest, envVars: envVar },
      { interactive: isInteractive(opts, io), cwd: io.cwd, stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, reporter },
    );
  },
};
