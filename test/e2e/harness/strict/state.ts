/** moto's default account (what STS reports without an `x-moto-account-id` header). */
export const DEFAULT_ACCOUNT = '123456789012';

/** Something whose network interfaces sit in subnets with security groups, and keep them for a while after it is deleted. */
export interface Holder {
  kind: 'load balancer' | 'service' | 'NAT gateway' | 'Auto Scaling group';
  id: string;
  subnets: string[];
  securityGroups: string[];
  /** Holds public addresses (internet-facing ALB, public task ENIs, a NAT's EIP, public instances): blocks IGW detach. */
  publicIp: boolean;
  /** Set when the owner was deleted; its ENIs drain for a window after `releasedFrom`. */
  deletedAt?: number;
  /** When draining starts (a NAT first finishes `deleting`). */
  releasedFrom?: number;
}

export interface LaunchTemplateInfo {
  id: string;
  name?: string;
  /** `IamInstanceProfile.Arn` or `.Name`, as sent. */
  profile?: { by: 'arn' | 'name'; value: string };
  securityGroups: string[];
  publicIp: boolean;
}

export interface NatInfo {
  createdAt: number;
  deletedAt?: number;
  /** When the layer first told a client the gateway is `deleted`. */
  shownDeletedAt?: number;
  allocationId?: string;
}

export interface ServiceInfo {
  /** How the service was created or last moved: a launch type, or the providers of its strategy. */
  launchType?: string;
  providers?: string[];
  /** The strategy as sent (provider, weight, base), canonical, to tell a change from a repeat. */
  strategy?: string;
  /** The strategy items as sent, for DescribeServices (moto drops them). */
  items?: unknown[];
}

/** What the strict layer knows about one (moto) account; rules and trackers read and write it. */
export class AccountState {
  /** EC2 ids a create returned → when. */
  readonly fresh = new Map<string, number>();
  readonly subnetVpc = new Map<string, string>();
  /** Instance profile name → last CreateInstanceProfile / AddRoleToInstanceProfile. */
  readonly profiles = new Map<string, number>();
  /** Launch templates by id and by name. */
  readonly launchTemplates = new Map<string, LaunchTemplateInfo>();
  /** Service-linked role name → when it was created (absent: the account does not have it). */
  readonly serviceLinkedRoles = new Map<string, number>();
  /** `<kind>:<id>` → holder. */
  readonly holders = new Map<string, Holder>();
  readonly nats = new Map<string, NatInfo>();
  /** Load balancer ARN → created at. */
  readonly loadBalancers = new Map<string, number>();
  /** `family:revision` → requiresCompatibilities as registered (undefined: not given). */
  readonly taskDefinitions = new Map<string, string[] | undefined>();
  readonly latestRevision = new Map<string, number>();
  /** `cluster/service` → how it runs. */
  readonly services = new Map<string, ServiceInfo>();
  /** S3 `bucket/key`s with a conditional write in progress. */
  readonly s3ConditionalWrites = new Set<string>();

  holder(kind: Holder['kind'], id: string): Holder | undefined {
    return this.holders.get(`${kind}:${id}`);
  }

  setHolder(h: Holder): void {
    this.holders.set(`${h.kind}:${h.id}`, h);
  }

  /** Marks a holder deleted; its ENIs start draining at `releasedFrom` (default: now). */
  release(kind: Holder['kind'], id: string, now: number, releasedFrom = now): void {
    const h = this.holder(kind, id);
    if (h && h.deletedAt === undefined) Object.assign(h, { deletedAt: now, releasedFrom });
  }
}

export class StateStore {
  private readonly accounts = new Map<string, AccountState>();

  get(account: string): AccountState {
    let s = this.accounts.get(account);
    if (!s) this.accounts.set(account, (s = new AccountState()));
    return s;
  }
}
