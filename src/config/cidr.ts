/** IPv4 CIDR arithmetic, in one place: config rules, the network layout and the allowed-CIDR checks use it. */

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export interface Cidr {
  /** The address as a 32-bit unsigned number (host bits as written). */
  address: number;
  prefix: number;
}

/** Parse "a.b.c.d/n"; undefined unless every octet is ≤ 255 and n ≤ 32. */
export function parseCidr(cidr: string): Cidr | undefined {
  const m = CIDR_RE.exec(cidr.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { address: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address (host bits cleared). */
export function networkOf(c: Cidr): number {
  return (c.address & maskOf(c.prefix)) >>> 0;
}

export function formatCidr(base: number, prefix: number): string {
  return `${formatIp(base)}/${prefix}`;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** First and last address of the block. */
export function cidrRange(cidr: string): [number, number] {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR block: ${cidr}`);
  const start = networkOf(c);
  return [start, start + 2 ** (32 - c.prefix) - 1];
}

/** True when two CIDR blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

/** 10.0.0.7/16 → 10.0.0.0/16: AWS reports the network address, so compare that. */
export function normalizeCidr(cidr: string): string {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`not an IPv4 CIDR block: ${cidr}`);
  return formatCidr(networkOf(c), c.prefix);
}

/** "a.b.c.d/n" with every octet ≤ 255, n ≤ 32 and no host bits set; undefined when valid. */
export function cidrProblem(cidr: string): string | undefined {
  const m = CIDR_RE.exec(cidr);
  if (!m) return `"${cidr}" is not an IPv4 CIDR block; write it like 203.0.113.0/24`;
  if (m.slice(1, 5).some((o) => Number(o) > 255)) return `"${cidr}" has an octet above 255`;
  if (Number(m[5]) > 32) return `"${cidr}" has a prefix above /32`;
  const c = parseCidr(cidr)!;
  if (networkOf(c) !== c.address) return `"${cidr}" has host bits set; use ${formatCidr(networkOf(c), c.prefix)}`;
  return undefined;
}
