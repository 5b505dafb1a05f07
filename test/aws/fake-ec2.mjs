// A local stand-in for the EC2 Query API (and the instance metadata service) for the
// aws command tests: form-encoded Action + parameters in, XML out shaped as AWS
// documents it (lowerCamel element names, lists as <xxxSet><item>), errors as
// <Response><Errors><Error><Code>. State in memory; every call recorded.
import { createServer } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

const hex = (n) => randomBytes(n).toString('hex').slice(0, n * 2 - 1);
const lc = (s) => s[0].toLowerCase() + s.slice(1);

/** Form parameters -> nested object; numeric segments become arrays (1-based). */
export function parseQuery(body) {
  const root = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const parts = k.split('.');
    let o = root;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) o[p] = v;
      else o = o[p] ??= {};
    });
  }
  const fix = (o) => {
    if (typeof o !== 'object') return o;
    const keys = Object.keys(o);
    if (keys.length && keys.every((k) => /^\d+$/.test(k))) return keys.sort((a, b) => a - b).map((k) => fix(o[k]));
    for (const k of keys) o[k] = fix(o[k]);
    return o;
  };
  return fix(root);
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** JS value -> EC2 XML: keys are the API's member names (TagSet, ...), lowercased first letter. */
function xml(name, value) {
  if (value === undefined || value === null) return '';
  const tag = lc(name);
  if (Array.isArray(value)) return `<${tag}>${value.map((v) => xml('item', v)).join('')}</${tag}>`;
  if (typeof value === 'object') return `<${tag}>${Object.entries(value).map(([k, v]) => xml(k, v)).join('')}</${tag}>`;
  return `<${tag}>${esc(value)}</${tag}>`;
}

const tagsOf = (q) => (q.TagSpecification ?? []).flatMap((t) => t.Tag ?? []).map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));

export class FakeEc2 {
  constructor() {
    this.calls = []; // { action, params }
    this.failures = []; // { action, code, status, times, message, afterCreate }
    this.tokens = new Map();
    this.targets = [];
    this.filters = [];
    this.sessions = [];
    this.instances = [];
    this.enis = [];
    this.pageSize = 3;
    this.account = '123456789012';
    this.identity = { instanceId: 'i-0agent000000000001', eni: 'eni-0agent0000000001', mac: '0a:00:00:00:00:01', region: 'us-east-1', az: 'us-east-1a', privateIp: '10.0.9.9' };
  }

  /** An instance with interfaces [{ id, index, ip, subnet }] and tags { Name: ... }. */
  addInstance(instanceId, tags, interfaces, { vpc = 'vpc-0a1', state = 'running' } = {}) {
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    const nis = interfaces.map((n) => {
      const eni = { NetworkInterfaceId: n.id, Attachment: { AttachmentId: `eni-attach-${hex(4)}`, DeviceIndex: n.index ?? 0, InstanceId: instanceId, Status: 'attached' }, VpcId: vpc, SubnetId: n.subnet ?? 'subnet-0s1', PrivateIpAddress: n.ip ?? '10.0.1.10', OwnerId: this.account, Status: 'in-use' };
      this.enis.push({ ...eni, AvailabilityZone: n.az ?? 'us-east-1a', InterfaceType: 'interface', TagSet: [] });
      return eni;
    });
    this.instances.push({ InstanceId: instanceId, InstanceType: 't3.micro', InstanceState: { Code: 16, Name: state }, Placement: { AvailabilityZone: 'us-east-1a' }, VpcId: vpc, TagSet: Tags, NetworkInterfaceSet: nis });
  }

  start() {
    this.server = createServer((req, res) => this.handle(req, res));
    return new Promise((r) => this.server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${this.server.address().port}`)));
  }

  stop() {
    return new Promise((r) => this.server.close(r));
  }

  /** Environment for a child process using this endpoint through the real SDK. */
  env(url, extra = {}) {
    return {
      AWS_ENDPOINT_URL_EC2: url,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: url,
      AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTESTTEST',
      AWS_SECRET_ACCESS_KEY: 'testsecrettestsecrettestsecret',
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_MAX_ATTEMPTS: '2',
      ...extra,
    };
  }

  writes() {
    return this.calls.filter((c) => !c.action.startsWith('Describe') && !c.action.startsWith('IMDS'));
  }

  handle(req, res) {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url.startsWith('/latest/')) return this.imds(req, res);
      const q = parseQuery(body);
      const action = q.Action;
      this.calls.push({ action, params: q });
      const fail = this.failures.find((f) => f.action === action && f.times > 0 && !f.afterCreate);
      if (fail) {
        fail.times--;
        return this.error(res, fail.status, fail.code, fail.message ?? `${fail.code} (test)`);
      }
      try {
        const result = this[action]?.(q);
        if (result === undefined) return this.error(res, 400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
        const lost = this.failures.find((f) => f.action === action && f.times > 0 && f.afterCreate);
        if (lost) {
          // the resource exists now but the response is lost: the SDK retries with the same token
          lost.times--;
          return this.error(res, 503, 'Unavailable', 'The service is unavailable (test)');
        }
        const inner = Object.entries(result).map(([k, v]) => xml(k, v)).join('');
        res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId>${inner}</${action}Response>`);
      } catch (e) {
        this.error(res, e.status ?? 400, e.code ?? 'InvalidParameterValue', e.message);
      }
    });
  }

  error(res, status, code, message) {
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`);
  }

  imds(req, res) {
    const id = this.identity;
    this.calls.push({ action: `IMDS ${req.method} ${req.url}`, params: {} });
    if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end('faketoken');
    if (req.headers['x-aws-ec2-metadata-token'] !== 'faketoken') return res.writeHead(401).end();
    const paths = {
      '/latest/dynamic/instance-identity/document': JSON.stringify({ instanceId: id.instanceId, accountId: this.account, region: id.region, availabilityZone: id.az, privateIp: id.privateIp, instanceType: 'c6in.large' }),
      '/latest/meta-data/mac': id.mac,
      [`/latest/meta-data/network/interfaces/macs/${id.mac}/interface-id`]: id.eni,
    };
    if (paths[req.url] === undefined) return res.writeHead(404).end();
    res.end(paths[req.url]);
  }

  idempotent(q, make) {
    if (q.ClientToken && this.tokens.has(q.ClientToken)) return this.tokens.get(q.ClientToken);
    const r = make();
    if (q.ClientToken) this.tokens.set(q.ClientToken, r);
    return r;
  }

  page(q, items, key) {
    const start = Number(q.NextToken ?? 0);
    const slice = items.slice(start, start + this.pageSize);
    const next = start + this.pageSize < items.length ? String(start + this.pageSize) : undefined;
    return { [key]: slice, ...(next ? { NextToken: next } : {}) };
  }

  // -- targets
  DescribeTrafficMirrorTargets(q) {
    return this.page(q, this.targets, 'TrafficMirrorTargetSet');
  }
  CreateTrafficMirrorTarget(q) {
    return this.idempotent(q, () => {
      const t = {
        TrafficMirrorTargetId: `tmt-${hex(9)}`,
        NetworkInterfaceId: q.NetworkInterfaceId,
        NetworkLoadBalancerArn: q.NetworkLoadBalancerArn,
        GatewayLoadBalancerEndpointId: q.GatewayLoadBalancerEndpointId,
        Type: q.NetworkInterfaceId ? 'network-interface' : q.NetworkLoadBalancerArn ? 'network-load-balancer' : 'gateway-load-balancer-endpoint',
        Description: q.Description,
        OwnerId: this.account,
        TagSet: tagsOf(q),
      };
      this.targets.push(t);
      return { TrafficMirrorTarget: t, ClientToken: q.ClientToken };
    });
  }
  DeleteTrafficMirrorTarget(q) {
    const i = this.targets.findIndex((t) => t.TrafficMirrorTargetId === q.TrafficMirrorTargetId);
    if (i < 0) throw Object.assign(new Error(`The traffic mirror target '${q.TrafficMirrorTargetId}' does not exist.`), { code: 'InvalidTrafficMirrorTargetId.NotFound' });
    if (this.sessions.some((s) => s.TrafficMirrorTargetId === q.TrafficMirrorTargetId)) throw Object.assign(new Error('The target is in use by a session.'), { code: 'TrafficMirrorTargetInUse' });
    this.targets.splice(i, 1);
    return { TrafficMirrorTargetId: q.TrafficMirrorTargetId };
  }

  // -- filters and rules
  DescribeTrafficMirrorFilters(q) {
    return this.page(q, this.filters, 'TrafficMirrorFilterSet');
  }
  CreateTrafficMirrorFilter(q) {
    return this.idempotent(q, () => {
      const f = { TrafficMirrorFilterId: `tmf-${hex(9)}`, IngressFilterRuleSet: [], EgressFilterRuleSet: [], NetworkServiceSet: [], Description: q.Description, TagSet: tagsOf(q) };
      this.filters.push(f);
      return { TrafficMirrorFilter: f, ClientToken: q.ClientToken };
    });
  }
  CreateTrafficMirrorFilterRule(q) {
    return this.idempotent(q, () => {
      const f = this.filters.find((x) => x.TrafficMirrorFilterId === q.TrafficMirrorFilterId);
      if (!f) throw Object.assign(new Error('no such filter'), { code: 'InvalidTrafficMirrorFilterId.NotFound' });
      const set = q.TrafficDirection === 'ingress' ? f.IngressFilterRuleSet : f.EgressFilterRuleSet;
      if (set.some((r) => r.RuleNumber === q.RuleNumber)) throw Object.assign(new Error(`rule number ${q.RuleNumber} exists`), { code: 'InvalidParameterValue' });
      if (f.IngressFilterRuleSet.length + f.EgressFilterRuleSet.length >= 10) throw Object.assign(new Error('The maximum number of rules (10) has been reached.'), { code: 'TrafficMirrorFilterRuleLimitExceeded' });
      const r = {
        TrafficMirrorFilterRuleId: `tmfr-${hex(9)}`,
        TrafficMirrorFilterId: f.TrafficMirrorFilterId,
        TrafficDirection: q.TrafficDirection,
        RuleNumber: q.RuleNumber,
        RuleAction: q.RuleAction,
        Protocol: q.Protocol,
        DestinationPortRange: q.DestinationPortRange,
        SourcePortRange: q.SourcePortRange,
        DestinationCidrBlock: q.DestinationCidrBlock,
        SourceCidrBlock: q.SourceCidrBlock,
        Description: q.Description,
      };
      set.push(r);
      return { TrafficMirrorFilterRule: r, ClientToken: q.ClientToken };
    });
  }
  DeleteTrafficMirrorFilterRule(q) {
    for (const f of this.filters) {
      for (const set of [f.IngressFilterRuleSet, f.EgressFilterRuleSet]) {
        const i = set.findIndex((r) => r.TrafficMirrorFilterRuleId === q.TrafficMirrorFilterRuleId);
        if (i >= 0) {
          set.splice(i, 1);
          return { TrafficMirrorFilterRuleId: q.TrafficMirrorFilterRuleId };
        }
      }
    }
    throw Object.assign(new Error('no such rule'), { code: 'InvalidTrafficMirrorFilterRuleId.NotFound' });
  }
  DeleteTrafficMirrorFilter(q) {
    const i = this.filters.findIndex((t) => t.TrafficMirrorFilterId === q.TrafficMirrorFilterId);
    if (i < 0) throw Object.assign(new Error('no such filter'), { code: 'InvalidTrafficMirrorFilterId.NotFound' });
    if (this.sessions.some((s) => s.TrafficMirrorFilterId === q.TrafficMirrorFilterId)) throw Object.assign(new Error('The filter is in use.'), { code: 'TrafficMirrorFilterInUse' });
    this.filters.splice(i, 1);
    return { TrafficMirrorFilterId: q.TrafficMirrorFilterId };
  }

  // -- sessions
  DescribeTrafficMirrorSessions(q) {
    let items = this.sessions;
    for (const f of q.Filter ?? []) {
      const values = f.Value ?? [];
      if (f.Name === 'virtual-network-id') items = items.filter((s) => values.includes(String(s.VirtualNetworkId)));
      if (f.Name === 'traffic-mirror-target-id') items = items.filter((s) => values.includes(s.TrafficMirrorTargetId));
    }
    return this.page(q, items, 'TrafficMirrorSessionSet');
  }
  CreateTrafficMirrorSession(q) {
    return this.idempotent(q, () => {
      if (!this.targets.some((t) => t.TrafficMirrorTargetId === q.TrafficMirrorTargetId)) throw Object.assign(new Error('no such target'), { code: 'InvalidTrafficMirrorTargetId.NotFound' });
      if (!this.enis.some((e) => e.NetworkInterfaceId === q.NetworkInterfaceId)) throw Object.assign(new Error(`The networkInterface ID '${q.NetworkInterfaceId}' does not exist`), { code: 'InvalidNetworkInterfaceID.NotFound' });
      const used = new Set(this.sessions.map((s) => s.VirtualNetworkId));
      let vni = q.VirtualNetworkId !== undefined ? Number(q.VirtualNetworkId) : 0;
      while (q.VirtualNetworkId === undefined && (vni === 0 || used.has(vni))) vni = 1 + Math.floor(Math.random() * 16777214);
      const s = {
        TrafficMirrorSessionId: `tms-${hex(9)}`,
        TrafficMirrorTargetId: q.TrafficMirrorTargetId,
        TrafficMirrorFilterId: q.TrafficMirrorFilterId,
        NetworkInterfaceId: q.NetworkInterfaceId,
        OwnerId: this.account,
        PacketLength: q.PacketLength,
        SessionNumber: q.SessionNumber,
        VirtualNetworkId: vni,
        Description: q.Description,
        TagSet: tagsOf(q),
      };
      this.sessions.push(s);
      return { TrafficMirrorSession: s, ClientToken: q.ClientToken };
    });
  }
  ModifyTrafficMirrorSession(q) {
    const s = this.sessions.find((x) => x.TrafficMirrorSessionId === q.TrafficMirrorSessionId);
    if (!s) throw Object.assign(new Error('no such session'), { code: 'InvalidTrafficMirrorSessionId.NotFound' });
    for (const k of ['TrafficMirrorTargetId', 'TrafficMirrorFilterId', 'PacketLength', 'SessionNumber', 'VirtualNetworkId', 'Description']) if (q[k] !== undefined) s[k] = q[k];
    for (const f of q.RemoveField ?? []) {
      if (f === 'packet-length') delete s.PacketLength;
      if (f === 'description') delete s.Description;
      if (f === 'virtual-network-id') s.VirtualNetworkId = 0;
    }
    return { TrafficMirrorSession: s };
  }
  DeleteTrafficMirrorSession(q) {
    const i = this.sessions.findIndex((s) => s.TrafficMirrorSessionId === q.TrafficMirrorSessionId);
    if (i < 0) throw Object.assign(new Error('no such session'), { code: 'InvalidTrafficMirrorSessionId.NotFound' });
    this.sessions.splice(i, 1);
    return { TrafficMirrorSessionId: q.TrafficMirrorSessionId };
  }

  // -- instances and interfaces
  DescribeInstances(q) {
    let items = this.instances;
    if (q.InstanceId) items = items.filter((i) => q.InstanceId.includes(i.InstanceId));
    for (const f of q.Filter ?? []) {
      const values = f.Value ?? [];
      if (f.Name.startsWith('tag:')) items = items.filter((i) => i.TagSet.some((t) => t.Key === f.Name.slice(4) && values.includes(t.Value)));
      else if (f.Name === 'tag-key') items = items.filter((i) => i.TagSet.some((t) => values.includes(t.Key)));
      else if (f.Name === 'instance-state-name') items = items.filter((i) => values.includes(i.InstanceState.Name));
    }
    const reservations = items.map((i) => ({ ReservationId: `r-${hex(8)}`, OwnerId: this.account, InstancesSet: [i] }));
    return this.page(q, reservations, 'ReservationSet');
  }
  DescribeNetworkInterfaces(q) {
    const ids = q.NetworkInterfaceId ?? [];
    for (const id of ids) {
      if (!this.enis.some((e) => e.NetworkInterfaceId === id)) throw Object.assign(new Error(`The networkInterface ID '${id}' does not exist`), { code: 'InvalidNetworkInterfaceID.NotFound' });
    }
    const items = ids.length ? this.enis.filter((e) => ids.includes(e.NetworkInterfaceId)) : this.enis;
    return this.page(q, items, 'NetworkInterfaceSet');
  }
}
