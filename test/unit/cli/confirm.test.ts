import { describe, expect, it } from 'vitest';
import { confirmOrStop, type Confirmation } from '../../../src/cli/confirm.js';
import type { Prompter } from '../../../src/cli/prompts.js';

const APPLY: Confirmation = {
  command: 'deploy',
  question: { message: 'Apply these changes?', default: true },
  retry: 'Re-run with --yes.',
  cancelled: 'Deploy cancelled.',
};

/** Answers every question with `answer` and records what was asked. */
function answering(answer: string | boolean) {
  const asked: string[] = [];
  const prompter: Prompter = {
    confirm: async (q) => (asked.push(q.message), answer === true),
    input: async (q) => (asked.push(q.message), String(answer)),
    number: async (q) => expect.fail(`unexpected question: ${q.message}`),
    select: async (q) => expect.fail(`unexpected question: ${q.message}`),
    checkbox: async (q) => expect.fail(`unexpected question: ${q.message}`),
  };
  return { prompter, asked };
}

describe('confirmOrStop', () => {
  it('asks nothing with --yes', async () => {
    const { prompter, asked } = answering(false);
    await confirmOrStop({ yes: true, interactive: true, prompter }, APPLY);
    expect(asked).toEqual([]);
  });

  it('refuses with exit 2 and the --yes fix when the session cannot prompt', async () => {
    await expect(confirmOrStop({ interactive: false }, APPLY)).rejects.toMatchObject({
      exitCode: 2,
      code: 'confirm.required',
      message: 'deploy needs confirmation, and this session cannot prompt (no terminal, CI=true or --json).',
      fix: 'Re-run with --yes.',
    });
    await expect(confirmOrStop({ interactive: false }, { ...APPLY, command: 'rollback', questionInRefusal: true })).rejects.toMatchObject({
      message: 'rollback needs confirmation, and this session cannot prompt (no terminal, CI=true or --json): Apply these changes?',
    });
  });

  it('goes ahead on yes, and stops with exit 130 on no', async () => {
    const yes = answering(true);
    await confirmOrStop({ interactive: true, prompter: yes.prompter }, APPLY);
    expect(yes.asked).toEqual(['Apply these changes?']);
    const no = answering(false);
    await expect(confirmOrStop({ interactive: true, prompter: no.prompter }, APPLY)).rejects.toMatchObject({
      exitCode: 130,
      message: 'Deploy cancelled.',
    });
  });

  it('a typed question needs the exact word', async () => {
    const typed: Confirmation = {
      ...APPLY,
      command: 'teardown',
      question: { message: 'Type the app name (shop) to confirm:', typed: 'shop' },
    };
    await confirmOrStop({ interactive: true, prompter: answering(' shop ').prompter }, typed);
    await expect(confirmOrStop({ interactive: true, prompter: answering('Shop').prompter }, typed)).rejects.toMatchObject({
      exitCode: 130,
    });
  });
});
