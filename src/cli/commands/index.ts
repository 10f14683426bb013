import type { CommandGroupSpec, CommandSpec } from '../command-spec.js';
import { ciRole } from './ci-role/spec.js';
import { completion } from './completion/spec.js';
import { abort } from './abort/spec.js';
import { continueCommand } from './continue/spec.js';
import { config } from './config/spec.js';
import { deploy } from './deploy/spec.js';
import { doctor } from './doctor/spec.js';
import { execCommand } from './exec/spec.js';
import { iamPolicy } from './iam-policy/spec.js';
import { importCommand } from './import/spec.js';
import { init } from './init/spec.js';
import { logs } from './logs/spec.js';
import { plan } from './plan/spec.js';
import { rollback } from './rollback/spec.js';
import { runTask } from './run-task/spec.js';
import { scale } from './scale/spec.js';
import { secret } from './secret/spec.js';
import { state } from './state/spec.js';
import { status } from './status/spec.js';
import { teardown } from './teardown/spec.js';

/**
 * Every command, in the order `ecs-kit --help` lists them. Adding a command: a folder with its
 * handler (index.ts) and its spec (spec.ts), and one line here. Only the specs load at start-up.
 */
export const COMMANDS: readonly (CommandSpec | CommandGroupSpec)[] = [
  init,
  deploy,
  teardown,
  plan,
  doctor,
  status,
  logs,
  runTask,
  execCommand,
  scale,
  rollback,
  continueCommand,
  abort,
  secret,
  state,
  iamPolicy,
  ciRole,
  importCommand,
  completion,
  config,
];
