/** What a container environment variable name may be (config keys, secrets, `secret set`, `init -e`). */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEnvVarName(name: string): boolean {
  return ENV_VAR_NAME.test(name);
}

/** The message every place uses for a bad name, so they all say the same thing. */
export const ENV_VAR_NAME_PROBLEM = 'is not a valid variable name; use letters, digits and _, not starting with a digit';
