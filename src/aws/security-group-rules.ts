import type { IpPermission } from '@aws-sdk/client-ec2';

/**
 * Security group ingress rules as sets (pure): what AWS returns is flattened to one source per
 * rule, so the rules a config wants and the rules a group has compare by key.
 */

/** One ingress permission, flattened to a single source so rule sets compare as sets. */
export interface IngressRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  source: { kind: 'cidr' | 'cidr6' | 'group' | 'prefix-list'; value: string };
  description?: string;
}

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };

function normalizeProtocol(p: string | undefined): string {
  const v = (p ?? '-1').toLowerCase();
  return PROTOCOL_NAMES[v] ?? v;
}

export function flattenIngress(perms: IpPermission[] | undefined): IngressRule[] {
  const out: IngressRule[] = [];
  for (const p of perms ?? []) {
    const protocol = normalizeProtocol(p.IpProtocol);
    // "All traffic" rules carry no meaningful ports.
    const ports = protocol === '-1' ? {} : { fromPort: p.FromPort, toPort: p.ToPort };
    // The description is kept (not compared) so a revoke names the rule exactly as it exists.
    const add = (kind: IngressRule['source']['kind'], value: string | undefined, description: string | undefined) => {
      if (value) out.push({ protocol, ...ports, source: { kind, value }, ...(description ? { description } : {}) });
    };
    for (const r of p.IpRanges ?? []) add('cidr', r.CidrIp, r.Description);
    for (const r of p.Ipv6Ranges ?? []) add('cidr6', r.CidrIpv6, r.Description);
    for (const r of p.UserIdGroupPairs ?? []) add('group', r.GroupId, r.Description);
    for (const r of p.PrefixListIds ?? []) add('prefix-list', r.PrefixListId, r.Description);
  }
  return out;
}

function ruleKey(r: IngressRule): string {
  return `${r.protocol}|${r.fromPort ?? ''}|${r.toPort ?? ''}|${r.source.kind}|${r.source.value}`;
}

export function describeRule(r: IngressRule): string {
  const ports =
    r.protocol === '-1'
      ? 'all traffic'
      : r.fromPort === r.toPort
        ? `${r.protocol} ${r.fromPort}`
        : `${r.protocol} ${r.fromPort}-${r.toPort}`;
  return `${ports} from ${r.source.value}`;
}

export function toIpPermission(r: IngressRule): IpPermission {
  const p: IpPermission = { IpProtocol: r.protocol };
  if (r.protocol !== '-1') {
    p.FromPort = r.fromPort;
    p.ToPort = r.toPort;
  }
  const description = r.description ? { Description: r.description } : {};
  if (r.source.kind === 'cidr') p.IpRanges = [{ CidrIp: r.source.value, ...description }];
  if (r.source.kind === 'cidr6') p.Ipv6Ranges = [{ CidrIpv6: r.source.value, ...description }];
  if (r.source.kind === 'group') p.UserIdGroupPairs = [{ GroupId: r.source.value, ...description }];
  if (r.source.kind === 'prefix-list') p.PrefixListIds = [{ PrefixListId: r.source.value, ...description }];
  return p;
}

export interface IngressDiff {
  add: IngressRule[];
  remove: IngressRule[];
}

/** Set difference by rule key: duplicates (which moto accepts for group pairs) collapse. */
export function diffIngress(actual: IngressRule[], wanted: IngressRule[]): IngressDiff {
  const have = new Map(actual.map((r) => [ruleKey(r), r]));
  const want = new Map(wanted.map((r) => [ruleKey(r), r]));
  return {
    add: [...want.entries()].filter(([k]) => !have.has(k)).map(([, r]) => r),
    remove: [...have.entries()].filter(([k]) => !want.has(k)).map(([, r]) => r),
  };
}
