import { Option } from 'commander';
import type { CommandSpec } from '../../command-spec.js';
import { pollIntervalFlag, pollIntervalMs } from '../../flags.js';
import { parseDuration } from '../../options.js';

interface LogsFlags {
  follow?: boolean;
  since: string;
  filter?: string;
  pollInterval: string;
}

export const logs: CommandSpec<LogsFlags, [service: string | undefined]> = {
  name: 'logs',
  description: "the services' CloudWatch logs in time order, each line with its task id",
  arguments: [['[service]', 'one service (default: all)']],
  options: [
    new Option('-f, --follow', 'keep printing new lines until Ctrl-C'),
    new Option('--since <duration>', 'start this far back (e.g. 30s, 10m, 2h)').default('10m'),
    new Option('--filter <text>', 'only lines containing this text (or a CloudWatch filter pattern)'),
    pollIntervalFlag('2s'),
  ],
  async run({ args: [service], opts, io, reporter }) {
    const sinceMs = parseDuration(opts.since, '--since');
    const pollMs = pollIntervalMs(opts);
    const { runLogs } = await import('./index.js');
    return runLogs({ ...opts, service, sinceMs, pollIntervalMs: pollMs }, io, reporter);
  },
};
