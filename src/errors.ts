import type { ErrorInfo, RolloutDiagnosis } from './engine/events.js';
import type { ErrorCode } from './engine/messages.js';

/** Exit codes are part of the public contract (README "Exit codes"). */
export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  Aborted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error we can explain to a person: what failed, why, and what to do.
 * `userFault` errors (bad config, bad flags) exit 2; everything else exits 1.
 */
export class EcsKitError extends Error {
  /** From the registry (src/engine/messages.ts); README "Message codes" lists them. */
  readonly code: ErrorCode;
  readonly why?: string;
  readonly fix?: string;
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string, opts: { why?: string; fix?: string; exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EcsKitError';
    this.code = code;
    this.why = opts.why;
    this.fix = opts.fix;
    this.exitCode = opts.exitCode ?? ExitCode.Failure;
  }
}

export class UsageError extends EcsKitError {
  constructor(message: string, fix?: string, code: ErrorCode = 'usage') {
    super(code, message, { fix, exitCode: ExitCode.Usage });
    this.name = 'UsageError';
  }
}

/** A list of config problems, each naming the field path. Always exit 2. */
export class ConfigError extends EcsKitError {
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super('config.invalid', `${file} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      exitCode: ExitCode.Usage,
      fix: 'Edit the fields named above and run the command again. Nothing was changed in AWS.',
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export class AbortedError extends EcsKitError {
  constructor(message = 'Aborted; nothing more was changed.') {
    super('aborted', message, { exitCode: ExitCode.Aborted });
    this.name = 'AbortedError';
  }
}

/** What the reporters get of an error: code, message, why and fix, and a rollout's diagnosis when it has one. */
export function errorInfo(err: EcsKitError): ErrorInfo {
  const diagnosis = (err as { diagnosis?: RolloutDiagnosis }).diagnosis;
  return {
    code: err.code,
    message: err.message,
    ...(err.why ? { why: err.why } : {}),
    ...(err.fix ? { fix: err.fix } : {}),
    ...(diagnosis ? { diagnosis } : {}),
  };
}
