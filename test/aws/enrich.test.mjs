// mirror --enrich: VNI -> mirror session -> source interface -> instance, as ECS cloud.*
// (and observer.* for the agent), from a cache that the document path never waits for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { FakeEc2 } from './fake-ec2.mjs';
import { runCli, waitForStderr, framesOf, vxlan, CAPTURES, sessions, summaryOf } from '../live/helpers.mjs';

const fake = new FakeEc2();
fake.addInstance('i-0web1', { Name: 'web-1' }, [{ id: 'eni-0aaa1', index: 0, ip: '10.0.1.11', subnet: 'subnet-0web', az: 'us-east-1b' }], { vpc: 'vpc-0prod' });
fake.addInstance('i-0web2', { Name: 'web-2' }, [{ id: 'eni-0bbb1', index: 0, ip: '10.0.1.12' }]);
const session = (id, eni, vni) => ({ TrafficMirrorSessionId: id, TrafficMirrorTargetId: 'tmt-0t', TrafficMirrorFilterId: 'tmf-0f', NetworkInterfaceId: eni, OwnerId: fake.account, SessionNumber: 1, VirtualNetworkId: vni, TagSet: [] });
fake.sessions.push(session('tms-0one', 'eni-0aaa1', 4242), session('tms-0two', 'eni-0bbb1', 77));
const url = await fake.start();
Object.assign(process.env, fake.env(url));
const { startEnrichment } = await import('../../agent/dist/aws/enrich.js');

const doc = (vni, dataset = 'intransit.session') => ({ event: { dataset }, network: { transport: 'tcp' }, intransit: { tunnel: [{ type: 'vxlan', vni }], findings: [] } });

test('VNI -> session -> interface -> instance: cloud.*, intransit.mirror, observer.*', async () => {
  const lines = [];
  const e = await startEnrichment({ log: (l) => lines.push(l), listen: '0.0.0.0:4789', initialWaitMs: 10000 });
  try {
    const d = doc(4242);
    const ret = e.transform(d);
    assert.is(ret, undefined, 'synchronous');
    assert.equal(d.cloud, {
      provider: 'aws',
      region: 'us-east-1',
      service: { name: 'ec2' },
      account: { id: '123456789012' },
      availability_zone: 'us-east-1b',
      instance: { id: 'i-0web1', name: 'web-1' },
    });
    assert.equal(d.intransit.mirror, { session_id: 'tms-0one', vni: 4242, source_eni: 'eni-0aaa1', vpc_id: 'vpc-0prod', subnet_id: 'subnet-0web', source_ip: '10.0.1.11' });
    assert.is(d.observer.name, 'i-0agent000000000001');
    assert.equal(d.observer.ip, ['10.0.9.9']);
    assert.is(d.observer.type, 'sensor');
    const f = doc(77, 'intransit.finding');
    e.transform(f);
    assert.is(f.cloud.instance.name, 'web-2');
    const s = { event: { dataset: 'intransit.summary' }, intransit: { summary: {} } };
    e.transform(s);
    assert.ok(s.observer && !s.cloud, 'the summary names the observer only');
  } finally {
    e.stop();
  }
});

test('an unknown VNI is written as is and looked up in the background; failures keep the cache', async () => {
  const lines = [];
  const e = await startEnrichment({ log: (l) => lines.push(l), listen: '0.0.0.0:4789', minRefreshGapSec: 0 });
  try {
    fake.sessions.push(session('tms-0new', 'eni-0bbb1', 5000));
    const d = doc(5000);
    e.transform(d);
    assert.is(d.cloud, undefined, 'not known yet: no waiting');
    await e.cache.refresh();
    const d2 = doc(5000);
    e.transform(d2);
    assert.is(d2.cloud.instance.id, 'i-0web2');
    fake.failures.push({ action: 'DescribeTrafficMirrorSessions', code: 'UnauthorizedOperation', status: 403, times: 2, message: 'You are not authorized to perform this operation.' });
    await e.cache.refresh();
    await e.cache.refresh();
    assert.is(lines.filter((l) => l.includes('not authorized')).length, 1, lines.join('\n'));
    const d3 = doc(4242);
    e.transform(d3);
    assert.is(d3.cloud.instance.id, 'i-0web1', 'the old cache still serves');
  } finally {
    e.stop();
  }
});

test('two sessions sharing a VNI are told apart by the datagrams outer source', async () => {
  fake.sessions.push(session('tms-0dup1', 'eni-0aaa1', 9), session('tms-0dup2', 'eni-0bbb1', 9));
  let seen = [];
  const e = await startEnrichment({ log: () => {}, listen: '0.0.0.0:4789', outerSources: () => seen });
  try {
    const a = doc(9);
    e.transform(a);
    assert.is(a.cloud, undefined, 'ambiguous without outer sources');
    seen = ['10.0.1.12'];
    const b = doc(9);
    e.transform(b);
    assert.is(b.cloud.instance.id, 'i-0web2');
  } finally {
    e.stop();
  }
});

test('intransit mirror --enrich end to end: sessions and findings name the instance', async () => {
  const run = runCli(['mirror', '--listen', '127.0.0.1:0', '--enrich', '--ndjson', '--duration', '3', '--stats-interval', '0'], { env: fake.env(url) });
  const port = Number((await waitForStderr(run, /receiving vxlan on 127\.0\.0\.1:(\d+)/, 30000))[1]);
  const s = dgram.createSocket('udp4');
  for (const f of framesOf(CAPTURES + 'tls12-ecdhe-rsa.pcap')) s.send(vxlan(f.frame, 4242), port, '127.0.0.1');
  const r = await run.done;
  s.close();
  assert.is(r.code, 0, r.stderr);
  const ss = sessions(r.docs);
  assert.ok(ss.length > 0);
  for (const d of r.docs.filter((d) => d.event.dataset !== 'intransit.summary')) {
    assert.is(d.cloud?.instance?.name, 'web-1', JSON.stringify(d));
    assert.is(d.cloud.account.id, '123456789012');
  }
  assert.is(summaryOf(r.docs).observer.name, 'i-0agent000000000001');
});

test.after(async () => {
  await fake.stop();
});

test.run();
