import type { AwsStub } from 'aws-sdk-client-mock';
import { afterEach } from 'vitest';

/**
 * Make every command a mock was not told about fail loudly, so a step that makes an
 * unexpected (possibly mutating) call fails its test instead of silently getting undefined.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function strict<T extends AwsStub<any, any, any>>(mock: T): T {
  mock.onAnyCommand().callsFake((input: unknown) => {
    throw new Error(`unexpected AWS command with input ${JSON.stringify(input)}`);
  });
  return mock;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function resetAfterEach(...mocks: AwsStub<any, any, any>[]): void {
  afterEach(() => {
    for (const m of mocks) m.reset();
  });
}

/** Names of the commands a mock received, in order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function commandNames(mock: AwsStub<any, any, any>): string[] {
  return mock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
}
