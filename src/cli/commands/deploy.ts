import { Engine } from '../../engine/runner.js';
import { DEFAULT_RUN_OPTIONS } from '../../engine/types.js';
import type { Reporter } from '../../engine/events.js';
import { ShellDocker } from '../../docker/cli.js';
import { AbortedError, ExitCode, UsageError } from '../../errors.js';
import { STEP_MODULES } from '../../steps/index.js';
import type { GlobalOptions, Io } from '../options.js';
import { createPrompter, type Prompter } from '../prompts.js';
import { openRun } from '../run-context.js';
import { onInterrupt } from '../signals.js';

export interface DeployOptions extends GlobalOptions {
  wait: boolean;
  timeoutMs?: number;
  pollIntervalMs?: number;
  forceUnlock?: boolean;
}

export async function runDeploy(opts: DeployOptions, io: Io, reporter: Reporter, prompter?: Prompter): Promise<number> {
  const started = Date.now();
  const run = await openRun(opts, io, reporter, 'deploy', { forceUnlock: opts.forceUnlock });
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, reporter, run.store);
  // Build contexts and Dockerfile paths in the config are relative to the config file.
  const previousCwd = process.cwd();
  process.chdir(run.baseDir);
  try {
    reporter.emit({ type: 'run.start', command: 'deploy', app: run.config.app, env: opts.env, region: run.region, account: run.account });
    const engine = new Engine({
      app: run.config.app,
      env: opts.env,
      region: run.region,
      account: run.account,
      config: run.config,
      modules: STEP_MODULES,
      aws: run.aws,
      docker: new ShellDocker(undefined, opts.verbose ? (line) => reporter.emit({ type: 'info', message: `docker: ${line}` }) : undefined),
      store: run.store,
      manifest: run.manifest,
      reporter,
      options: {
        ...DEFAULT_RUN_OPTIONS,
        wait: opts.wait,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.pollIntervalMs ? { pollIntervalMs: opts.pollIntervalMs } : {}),
      },
      signal: controller.signal,
    });

    const plan = await engine.planDeploy();
    if (plan.hasChanges) {
      if (!opts.yes) {
        if (!run.interactive) {
          throw new UsageError('deploy needs confirmation, and this session cannot prompt (no terminal, CI=true or --json).', 'Re-run with --yes to apply the plan above.', 'confirm.required');
        }
        const ok = await (prompter ?? (await createPrompter())).confirm({ message: 'Apply these changes?', default: true });
        if (!ok) throw new AbortedError('Deploy cancelled; nothing was changed.');
      }
    }
    // With no changes this only records what planning found: no mutating call.
    await engine.applyDeploy(plan);
    reporter.emit({
      type: 'run.done',
      command: 'deploy',
      outcome: plan.hasChanges ? 'applied' : 'no-changes',
      durationMs: Date.now() - started,
      calls: run.counter.calls,
      mutatingCalls: run.counter.mutating,
    });
    return ExitCode.Ok;
  } finally {
    process.chdir(previousCwd);
    stopListening();
    run.aws.destroy();
    await run.store.releaseLock();
  }
}
