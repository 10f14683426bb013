import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createPrompter } from '../../../src/cli/prompts.js';
import { AbortedError } from '../../../src/errors.js';

describe('createPrompter (inquirer)', () => {
  it('asks on the given output and returns the typed answer', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d) => (shown += String(d)));
    const p = await createPrompter({ input, output });
    const answer = p.input({ message: 'App name', default: 'x' });
    setTimeout(() => input.write('shop\n'), 20);
    expect(await answer).toBe('shop');
    expect(shown).toContain('App name');
  });

  it('turns a cancelled prompt into AbortedError (exit 130)', async () => {
    const controller = new AbortController();
    const p = await createPrompter({ input: new PassThrough(), output: new PassThrough(), signal: controller.signal });
    const answer = p.confirm({ message: 'Apply?' });
    setTimeout(() => controller.abort(), 20);
    await expect(answer).rejects.toBeInstanceOf(AbortedError);
  });
});
