// Enrichment for mirror --enrich: which instance each mirror session copies. VNI ->
// Traffic Mirror session -> source interface -> instance id, Name tag, VPC, subnet,
// zone, account (DescribeTrafficMirrorSessions, DescribeNetworkInterfaces,
// DescribeInstances), kept in a cache refreshed in the background. Documents are
// enriched from the cache as they are written: a VNI not in it yet is written as is
// and triggers an early refresh; the packet path never waits for AWS.

import { hostname } from 'node:os';
import type { DocumentTransform } from '../mirror/sink.js';
import { sessionVni } from '../mirror/doctor.js';
import { Ec2 } from './ec2.js';
import { instanceIdentity, type InstanceIdentity } from './imds.js';

export interface MirrorSource {
  sessionId: string;
  vni: number;
  eni: string;
  accountId: string | null;
  instanceId: string | null;
  instanceName: string | null;
  vpcId: string | null;
  subnetId: string | null;
  availabilityZone: string | null;
  privateIp: string | null;
}

export interface EnrichmentOptions {
  log: (line: string) => void;
  listen: string;
  /** Seconds between refreshes (default 300). */
  refreshSec?: number;
  /** Earliest early refresh after an unknown VNI (default 30 s). */
  minRefreshGapSec?: number;
  /** Outer source addresses seen for a VNI: tells apart sessions that share one. */
  outerSources?: (vni: number) => string[];
  /** How long startup waits for the first lookup (default 10 s). */
  initialWaitMs?: number;
}

type AnyRecord = Record<string, any>;

function chunks<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** One full lookup: every mirror session of the account and region, with its source. */
export async function lookupMirrorSources(ec2: Ec2): Promise<MirrorSource[]> {
  const sessions = await ec2.describeAll('DescribeTrafficMirrorSessions', {}, 'TrafficMirrorSessions');
  const enis = new Map<string, AnyRecord>();
  const ids = [...new Set(sessions.map((s) => s.NetworkInterfaceId as string))];
  for (const part of chunks(ids, 100)) {
    // interfaces deleted since are missing from the answer, or fail it: then ask one by one
    try {
      for (const n of await ec2.describeAll('DescribeNetworkInterfaces', { NetworkInterfaceIds: part }, 'NetworkInterfaces')) enis.set(n.NetworkInterfaceId, n);
    } catch {
      for (const id of part) {
        try {
          for (const n of await ec2.describeAll('DescribeNetworkInterfaces', { NetworkInterfaceIds: [id] }, 'NetworkInterfaces')) enis.set(n.NetworkInterfaceId, n);
        } catch {
          // gone
        }
      }
    }
  }
  const names = new Map<string, string | null>();
  const instanceIds = [...new Set([...enis.values()].map((n) => n.Attachment?.InstanceId).filter((x): x is string => !!x))];
  for (const part of chunks(instanceIds, 100)) {
    const reservations = await ec2.describeAll('DescribeInstances', { InstanceIds: part }, 'Reservations');
    for (const inst of reservations.flatMap((r) => (r.Instances ?? []) as AnyRecord[])) {
      names.set(inst.InstanceId, (inst.Tags as { Key?: string; Value?: string }[] | undefined)?.find((t) => t.Key === 'Name')?.Value ?? null);
    }
  }
  return sessions.map((s) => {
    const n = enis.get(s.NetworkInterfaceId);
    const instanceId = n?.Attachment?.InstanceId ?? null;
    return {
      sessionId: s.TrafficMirrorSessionId,
      vni: s.VirtualNetworkId,
      eni: s.NetworkInterfaceId,
      accountId: n?.OwnerId ?? s.OwnerId ?? null,
      instanceId,
      instanceName: instanceId ? (names.get(instanceId) ?? null) : null,
      vpcId: n?.VpcId ?? null,
      subnetId: n?.SubnetId ?? null,
      availabilityZone: n?.AvailabilityZone ?? null,
      privateIp: n?.PrivateIpAddress ?? null,
    };
  });
}

export class MirrorSourceCache {
  private byVni = new Map<number, MirrorSource[]>();
  private refreshing: Promise<void> | null = null;
  private lastRefresh = 0;
  private failedOnce = false;
  private timer: NodeJS.Timeout | null = null;
  loaded = false;

  constructor(
    private readonly ec2: Ec2,
    private readonly opts: EnrichmentOptions,
  ) {}

  refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.lastRefresh = Date.now();
    this.refreshing = lookupMirrorSources(this.ec2)
      .then((sources) => {
        const map = new Map<number, MirrorSource[]>();
        for (const s of sources) map.set(s.vni, [...(map.get(s.vni) ?? []), s]);
        this.byVni = map;
        this.loaded = true;
        if (this.failedOnce) this.opts.log(`enrich: mirror sessions looked up again (${sources.length})`);
        this.failedOnce = false;
      })
      .catch((e: Error) => {
        // keep what we have; say it once until it works again
        if (!this.failedOnce) this.opts.log(`enrich: ${e.message.replace(/^aws: /, '')}; documents are written without cloud.* until it works`);
        this.failedOnce = true;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  start(): void {
    const every = (this.opts.refreshSec ?? 300) * 1000;
    this.timer = setInterval(() => void this.refresh(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The source of a VNI from the cache (never waits); an unknown VNI asks for a refresh. */
  get(vni: number): MirrorSource | null {
    const list = this.byVni.get(vni);
    if (!list) {
      if (Date.now() - this.lastRefresh >= (this.opts.minRefreshGapSec ?? 30) * 1000) void this.refresh();
      return null;
    }
    if (list.length === 1) return list[0];
    // several sessions chose the same VNI: the datagrams' outer source is the source interface
    const seen = new Set(this.opts.outerSources?.(vni) ?? []);
    const match = list.filter((s) => s.privateIp !== null && seen.has(s.privateIp));
    return match.length === 1 ? match[0] : null;
  }
}

export function cloudFields(src: MirrorSource, region: string): Record<string, unknown> {
  const cloud: Record<string, unknown> = { provider: 'aws', region, service: { name: 'ec2' } };
  if (src.accountId) cloud.account = { id: src.accountId };
  if (src.availabilityZone) cloud.availability_zone = src.availabilityZone;
  if (src.instanceId) cloud.instance = { id: src.instanceId, ...(src.instanceName ? { name: src.instanceName } : {}) };
  return cloud;
}

export function observerFields(me: InstanceIdentity | null, listen: string): Record<string, unknown> {
  return {
    type: 'sensor',
    vendor: 'intransit',
    product: 'intransit',
    hostname: hostname(),
    ...(me ? { name: me.instanceId, ip: [me.privateIp] } : {}),
    ingress: { interface: { name: `udp ${listen}` } },
  };
}

/** The document transform: cloud.* of the mirrored instance, intransit.mirror, observer.*. */
export function enrichTransform(cache: MirrorSourceCache, region: string, observer: Record<string, unknown>): DocumentTransform {
  return (doc) => {
    doc.observer = observer;
    const dataset = doc.event?.dataset;
    if (dataset !== 'intransit.session' && dataset !== 'intransit.finding') return;
    const vni = sessionVni(doc);
    if (vni === null) return;
    const src = cache.get(vni);
    if (src === null) return;
    doc.cloud = cloudFields(src, region);
    doc.intransit.mirror = { session_id: src.sessionId, vni, source_eni: src.eni, vpc_id: src.vpcId, subnet_id: src.subnetId, source_ip: src.privateIp };
  };
}

export async function startEnrichment(opts: EnrichmentOptions): Promise<{ transform: DocumentTransform; stop: () => void; cache: MirrorSourceCache }> {
  let me: InstanceIdentity | null = null;
  try {
    me = await instanceIdentity();
  } catch {
    // not on EC2: no observer instance, and the region must come from the SDK chain
  }
  const ec2 = await Ec2.open({ readOnly: true });
  let region: string;
  try {
    region = await ec2.region();
  } catch (e) {
    if (!me) throw e;
    region = me.region;
    ec2.destroy();
    return startWith(await Ec2.open({ readOnly: true, region }), region, me, opts);
  }
  return startWith(ec2, region, me, opts);
}

async function startWith(ec2: Ec2, region: string, me: InstanceIdentity | null, opts: EnrichmentOptions) {
  const cache = new MirrorSourceCache(ec2, opts);
  // the first lookup may take a moment; sessions are not written in the first seconds anyway
  await Promise.race([cache.refresh(), new Promise((r) => setTimeout(r, opts.initialWaitMs ?? 10_000).unref())]);
  cache.start();
  if (cache.loaded) opts.log(`enrich: mirror sessions of ${region} looked up`);
  return {
    transform: enrichTransform(cache, region, observerFields(me, opts.listen)),
    stop: () => {
      cache.stop();
      ec2.destroy();
    },
    cache,
  };
}
