/**
 * Valid Fargate task sizes (Linux). Source: "Task CPU and memory" in the Amazon ECS
 * developer guide. cpu is in CPU units, memory in MiB.
 */
function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

export const FARGATE_CPUS = Object.keys(FARGATE_SIZES).map(Number);

export function fargateMemoriesFor(cpu: number): readonly number[] {
  return FARGATE_SIZES[cpu] ?? [];
}

/** "512, 1024 or 2048" */
export function humanList(values: readonly (number | string)[]): string {
  if (values.length <= 1) return values.join('');
  return `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

export function describeMemoryRange(cpu: number): string {
  const mems = fargateMemoriesFor(cpu);
  if (mems.length <= 4) return humanList(mems);
  const step = (mems[1] ?? 0) - (mems[0] ?? 0);
  return `${mems[0]} to ${mems[mems.length - 1]} in steps of ${step}`;
}
