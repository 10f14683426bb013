import { AbortedError, UsageError } from '../errors.js';
import { confirmByTyping, createPrompter, type Prompter } from './prompts.js';

/** Yes/no with a default, or a word to type exactly (teardown asks for the app name). */
export type Question = { message: string; default: boolean } | { message: string; typed: string };

export interface Confirmation {
  /** The command asking; the refusal names it ("deploy needs confirmation, …"). */
  command: string;
  question: Question;
  /** Repeat the question in the refusal, so a CI log says what was not confirmed. */
  questionInRefusal?: boolean;
  /** The refusal's fix: how to go ahead without a prompt. */
  retry: string;
  /** Said (exit 130) when the person answers no. */
  cancelled: string;
}

/** Who is asked: nobody with --yes; `interactive` is false without a terminal, with CI=true or --json. */
export interface ConfirmSession {
  yes?: boolean;
  interactive: boolean;
  /** Tests script the answers; otherwise inquirer is loaded only now. */
  prompter?: Prompter;
}

/**
 * The one gate before a command changes or deletes something. --yes passes it; a session that
 * cannot prompt is refused with exit 2 and told to re-run with --yes; otherwise the person is
 * asked, and "no" stops the command with exit 130 before anything changed. Resolves to the time spent waiting for
 * the answer (0 when nobody was asked), which the command leaves out of the duration it reports.
 */
export async function confirmOrStop(session: ConfirmSession, c: Confirmation): Promise<number> {
  if (session.yes) return 0;
  if (!session.interactive) {
    const what = c.questionInRefusal ? `: ${c.question.message}` : '.';
    const message = `${c.command} needs confirmation, and this session cannot prompt (no terminal, CI=true or --json)${what}`;
    throw new UsageError(message, c.retry, 'confirm.required');
  }
  const prompter = session.prompter ?? (await createPrompter());
  const asked = Date.now();
  const ok =
    'typed' in c.question ? await confirmByTyping(prompter, c.question.typed, c.question.message) : await prompter.confirm(c.question);
  if (!ok) throw new AbortedError(c.cancelled);
  return Date.now() - asked;
}
