/** Read-only AWS operations start with one of these verbs; everything else changes something. */
const READ_PREFIXES = ['Describe', 'List', 'Get', 'BatchGet', 'BatchCheck', 'Filter', 'Head', 'Lookup', 'Search', 'Select', 'Validate'];

export function isMutatingOperation(operation: string): boolean {
  return !READ_PREFIXES.some((p) => operation.startsWith(p));
}
