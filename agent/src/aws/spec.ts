// What the aws commands are asked to set up, before looking at AWS: the mirror target,
// the filter's rules (from --tcp-ports / --udp-ports / --ipv6) and the tag that marks
// every resource intransit manages.

import { UsageError } from '../cli/args.js';

/** Tag on every resource intransit creates; its value is the deployment name. */
export const MANAGED_TAG = 'intransit:managed';
/** AWS's limit of rules per Traffic Mirror filter (both directions together). */
export const MAX_RULES = 10;

export type TargetKind = 'eni' | 'nlb' | 'gwlbe';

export interface TargetSpec {
  kind: TargetKind;
  id: string; // eni-..., an NLB ARN, vpce-...
  origin: string; // how it was chosen, for the plan
}

export interface PortRange {
  from: number;
  to: number;
}

export interface RuleSpec {
  direction: 'ingress' | 'egress';
  ruleNumber: number;
  protocol: number; // 6 TCP, 17 UDP
  srcCidr: string;
  dstCidr: string;
  srcPorts: PortRange | null;
  dstPorts: PortRange | null;
}

export type Ports = 'all' | 'none' | PortRange[];

/** "all", "none", or "443,8443,1000-2000". */
export function parsePorts(text: string, flag: string): Ports {
  const t = text.trim().toLowerCase();
  if (t === 'all') return 'all';
  if (t === 'none' || t === '') return 'none';
  const ranges: PortRange[] = [];
  for (const part of t.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    const from = m ? Number(m[1]) : NaN;
    const to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from < 0 || to > 65535 || from > to) throw new UsageError(`${flag}: "${part}" is not a port or range (all, none, 443, 8000-8999)`);
    ranges.push({ from, to });
  }
  return ranges;
}

/**
 * The filter's rules: for each direction and address family, TCP (all, or each port
 * range as destination and as source port: both the server and the client side of a
 * connection), then UDP likewise. Rule numbers 100, 110, ... per direction.
 */
export function filterRules(tcp: Ports, udp: Ports, ipv6: boolean): RuleSpec[] {
  const rules: RuleSpec[] = [];
  const families = ipv6 ? ['0.0.0.0/0', '::/0'] : ['0.0.0.0/0'];
  for (const direction of ['ingress', 'egress'] as const) {
    let n = 100;
    const add = (protocol: number, cidr: string, srcPorts: PortRange | null, dstPorts: PortRange | null) => {
      rules.push({ direction, ruleNumber: n, protocol, srcCidr: cidr, dstCidr: cidr, srcPorts, dstPorts });
      n += 10;
    };
    for (const [protocol, ports] of [
      [6, tcp],
      [17, udp],
    ] as const) {
      for (const cidr of families) {
        if (ports === 'none') continue;
        if (ports === 'all') add(protocol, cidr, null, null);
        else
          for (const r of ports) {
            add(protocol, cidr, null, r);
            add(protocol, cidr, r, null);
          }
      }
    }
  }
  if (rules.length === 0) throw new UsageError('the filter would mirror nothing: give --tcp-ports or --udp-ports');
  if (rules.length > MAX_RULES) {
    throw new UsageError(`the filter needs ${rules.length} rules, more than the ${MAX_RULES} AWS allows per filter: mirror fewer port ranges, or leave out --ipv6`);
  }
  return rules;
}

const range = (r: PortRange | null): string => (r === null ? '*' : r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);

/** What a rule matches, independent of its number: how existing rules are compared. */
export function ruleKey(r: Omit<RuleSpec, 'ruleNumber'>): string {
  return `${r.direction} ${r.protocol} ${r.srcCidr}:${range(r.srcPorts)} > ${r.dstCidr}:${range(r.dstPorts)}`;
}

export function describeRule(r: RuleSpec): string {
  const proto = r.protocol === 6 ? 'tcp' : r.protocol === 17 ? 'udp' : `protocol ${r.protocol}`;
  const ports = r.dstPorts ? ` to port ${range(r.dstPorts)}` : r.srcPorts ? ` from port ${range(r.srcPorts)}` : '';
  return `${r.direction} #${r.ruleNumber}: accept ${proto}${ports} (${r.srcCidr === '::/0' ? 'IPv6' : 'IPv4'})`;
}

/** --target-eni / --nlb-arn / --gwlb-endpoint: at most one; null means "this instance". */
export function targetFromFlags(flags: Record<string, unknown>): TargetSpec | null {
  const given: TargetSpec[] = [];
  if (flags['target-eni'] !== undefined) {
    const id = String(flags['target-eni']);
    if (!/^eni-[0-9a-f]+$/.test(id)) throw new UsageError(`--target-eni: "${id}" is not a network interface id (eni-...)`);
    given.push({ kind: 'eni', id, origin: '--target-eni' });
  }
  if (flags['nlb-arn'] !== undefined) {
    const id = String(flags['nlb-arn']);
    if (!/^arn:aws[\w-]*:elasticloadbalancing:[\w-]+:\d{12}:loadbalancer\/net\//.test(id)) throw new UsageError(`--nlb-arn: "${id}" is not a Network Load Balancer ARN`);
    given.push({ kind: 'nlb', id, origin: '--nlb-arn' });
  }
  if (flags['gwlb-endpoint'] !== undefined) {
    const id = String(flags['gwlb-endpoint']);
    if (!/^vpce-[0-9a-f]+$/.test(id)) throw new UsageError(`--gwlb-endpoint: "${id}" is not a VPC endpoint id (vpce-...)`);
    given.push({ kind: 'gwlbe', id, origin: '--gwlb-endpoint' });
  }
  if (given.length > 1) throw new UsageError('give one target: --target-eni, --nlb-arn or --gwlb-endpoint');
  return given[0] ?? null;
}

export const TARGET_FIELD: Record<TargetKind, string> = {
  eni: 'NetworkInterfaceId',
  nlb: 'NetworkLoadBalancerArn',
  gwlbe: 'GatewayLoadBalancerEndpointId',
};

export interface Tag {
  Key?: string;
  Value?: string;
}

export function isManaged(tags: Tag[] | undefined, name: string): boolean {
  return !!tags?.some((t) => t.Key === MANAGED_TAG && t.Value === name);
}

export function tagSpecification(resourceType: string, name: string, what: string): Record<string, unknown>[] {
  return [
    {
      ResourceType: resourceType,
      Tags: [
        { Key: MANAGED_TAG, Value: name },
        { Key: 'Name', Value: `intransit-${name}-${what}` },
      ],
    },
  ];
}
