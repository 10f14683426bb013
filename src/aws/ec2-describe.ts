import { isAwsError } from './errors.js';

/**
 * Every page of a filtered EC2 Describe* call. Without MaxResults most return all matches at
 * once, but newer ones (DescribeNatGateways) may page on their own; a NextToken is followed either way.
 */
export async function describeAll<I extends object, O extends { NextToken?: string }, T>(
  send: (input: I & { NextToken?: string }) => Promise<O>,
  input: I,
  items: (page: O) => T[] | undefined,
): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await send(token ? { ...input, NextToken: token } : input);
    all.push(...(items(page) ?? []));
    token = page.NextToken;
  } while (token);
  return all;
}

/** One resource by id, or undefined when AWS says it does not exist (`notFound`). */
export async function describeOne<T>(fn: () => Promise<T | undefined>, notFound: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isAwsError(err, notFound)) return undefined;
    throw err;
  }
}
