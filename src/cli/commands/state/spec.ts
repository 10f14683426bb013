import { Option } from 'commander';
import type { CommandGroupSpec, CommandSpec } from '../../command-spec.js';

const init: CommandSpec<{ bucket?: string; prefix?: string }, []> = {
  name: 'init',
  description: 'create the S3 bucket for shared state (private, encrypted, versioned, tagged), or check one you brought',
  options: [
    new Option('--bucket <name>', 'the bucket (default: state.bucket in ecs-kit.yml, or --state)'),
    new Option('--prefix <prefix>', 'where in the bucket ecs-kit keeps <app>/<env>.json (default: ecs-kit)'),
  ],
  async run({ opts, io, reporter }) {
    const { runStateInit } = await import('./index.js');
    return runStateInit(opts, io, reporter);
  },
};

const show: CommandSpec<object, []> = {
  name: 'show',
  description: 'what is recorded for this environment (ids and ARNs, deploy history, who holds the lock); never secrets',
  async run({ opts, io, reporter }) {
    const { runStateShow } = await import('./index.js');
    return runStateShow(opts, io, reporter);
  },
};

const pull: CommandSpec<object, [file?: string]> = {
  name: 'pull',
  description: 'write the manifest to a file (or stdout)',
  arguments: [['[file]', 'where to write it (default: stdout)']],
  async run({ args: [file], opts, io, reporter }) {
    const { runStatePull } = await import('./index.js');
    return runStatePull({ ...opts, ...(file ? { file } : {}) }, io, reporter);
  },
};

const push: CommandSpec<{ force?: boolean }, [file: string]> = {
  name: 'push',
  description: 'replace the state with a manifest file; refuses to overwrite a newer state unless --force',
  arguments: [['<file>', 'a manifest file (from state pull)']],
  options: [new Option('--force', 'overwrite even a state that is newer than the file')],
  async run({ args: [file], opts, io, reporter }) {
    const { runStatePush } = await import('./index.js');
    return runStatePush({ ...opts, file }, io, reporter);
  },
};

const migrate: CommandSpec<{ to: string }, []> = {
  name: 'migrate',
  description: 'move the local manifest (.ecs-kit/<env>.json) to the shared state in the config (or --state)',
  options: [new Option('--to <backend>', 'where to: s3').default('s3')],
  async run({ opts, io, reporter }) {
    const { runStateMigrate } = await import('./index.js');
    return runStateMigrate(opts, io, reporter);
  },
};

const unlock: CommandSpec<object, []> = {
  name: 'unlock',
  description: 'break the lock of this environment (shows who holds it and asks first)',
  async run({ opts, io, reporter }) {
    const { runStateUnlock } = await import('./index.js');
    return runStateUnlock(opts, io, reporter);
  },
};

export const state: CommandGroupSpec = {
  name: 'state',
  description: 'where the manifest lives: a shared S3 bucket with locking for teams and CI (init, show, pull, push, migrate, unlock)',
  subcommands: [init, show, pull, push, migrate, unlock],
};
