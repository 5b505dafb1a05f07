// intransit aws plan|apply|status|destroy|iam-policy through the real AWS SDK against a
// local EC2 Query API endpoint (AWS_ENDPOINT_URL_EC2) and metadata service: request
// parameters, idempotency, tag filtering on destroy, plan writing nothing, errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeEc2 } from './fake-ec2.mjs';
import { runCli } from '../live/helpers.mjs';

let fake;
let url;
const allActions = new Set();

async function aws(args, extraEnv = {}) {
  fake.calls.length = 0;
  const r = await runCli(['aws', ...args], { env: fake.env(url, extraEnv) }).done;
  for (const c of fake.calls) if (!c.action.startsWith('IMDS')) allActions.add(c.action);
  return { ...r, calls: fake.calls.map((c) => c.action), writes: fake.writes() };
}

function world() {
  fake = new FakeEc2();
  fake.addInstance('i-0web1', { Name: 'web-1', Role: 'web' }, [
    { id: 'eni-0aaa1', index: 0, ip: '10.0.1.11' },
    { id: 'eni-0aaa2', index: 1, ip: '10.0.2.11' },
  ]);
  fake.addInstance('i-0web2', { Name: 'web-2', Role: 'web' }, [{ id: 'eni-0bbb1', index: 0, ip: '10.0.1.12' }]);
  fake.addInstance('i-0gone', { Name: 'old', Role: 'web' }, [{ id: 'eni-0ddd1', index: 0 }], { state: 'terminated' });
  fake.addInstance('i-0db', { Name: 'db', Role: 'db' }, [{ id: 'eni-0ccc1', index: 0, ip: '10.0.1.13' }]);
  fake.enis.push({ NetworkInterfaceId: fake.identity.eni, VpcId: 'vpc-0a1', SubnetId: 'subnet-0s1', OwnerId: fake.account, PrivateIpAddress: fake.identity.privateIp });
}

test.before.each(async () => {
  world();
  url = await fake.start();
});
test.after.each(async () => {
  await fake.stop();
});

test('plan: Describe* calls only, lists every resource to create, nothing changes', async () => {
  const r = await aws(['plan', '--source-tag', 'Role=web']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.writes, [], 'no write call');
  assert.ok(r.calls.every((a) => a.startsWith('Describe') || a.startsWith('IMDS')), r.calls.join(' '));
  assert.match(r.stdout, /create target: network interface eni-0agent0000000001 \(this instance i-0agent000000000001/);
  assert.match(r.stdout, /create session: eni-0aaa1 \(i-0web1 "web-1"\)/);
  assert.match(r.stdout, /create session: eni-0bbb1 \(i-0web2 "web-2"\)/);
  assert.not.match(r.stdout, /eni-0aaa2|eni-0ddd1|eni-0ccc1/, 'primary interfaces of running tagged instances only');
  assert.match(r.stdout, /10 to create, 0 to modify, 0 to delete/);
  assert.equal([fake.targets.length, fake.filters.length, fake.sessions.length], [0, 0, 0]);
  // the tag filter sent to DescribeInstances
  const di = fake.calls.find((c) => c.action === 'DescribeInstances').params;
  assert.equal(di.Filter[0], { Name: 'tag:Role', Value: ['web'] });
  assert.equal(di.Filter[1].Name, 'instance-state-name');
  // JSON form
  const j = await aws(['plan', '--source-tag', 'Role=web', '--json']);
  const plan = JSON.parse(j.stdout);
  assert.is(plan.region, 'us-east-1');
  assert.equal(plan.steps.map((s) => s.op).filter((o) => o === 'create-session').length, 2);
});

test('apply: request parameters, client tokens, tags; a second apply creates nothing', async () => {
  const r = await aws(['apply', '--source-tag', 'Role=web', '--source-eni', 'eni-0ccc1', '--vni-base', '4242']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /applied: 11 created, 0 modified, 0 deleted/);
  const creates = fake.calls.filter((c) => c.action.startsWith('Create'));
  assert.is(creates.length, 11);
  const tokens = creates.map((c) => c.params.ClientToken);
  assert.ok(tokens.every((t) => /^[0-9a-f-]{36}$/.test(t)), 'a client token on every create');
  assert.is(new Set(tokens).size, tokens.length, 'one token per resource');
  const target = creates.find((c) => c.action === 'CreateTrafficMirrorTarget').params;
  assert.is(target.NetworkInterfaceId, 'eni-0agent0000000001');
  for (const c of creates.filter((c) => c.action !== 'CreateTrafficMirrorFilterRule')) {
    const tags = c.params.TagSpecification[0].Tag;
    assert.ok(tags.some((t) => t.Key === 'intransit:managed' && t.Value === 'intransit'), c.action);
  }
  const rules = creates.filter((c) => c.action === 'CreateTrafficMirrorFilterRule').map((c) => c.params);
  assert.is(rules.length, 6);
  for (const dir of ['ingress', 'egress']) {
    const d = rules.filter((x) => x.TrafficDirection === dir);
    assert.equal(
      d.map((x) => [x.RuleNumber, x.Protocol, x.RuleAction, x.SourceCidrBlock, x.DestinationCidrBlock, x.DestinationPortRange, x.SourcePortRange]),
      [
        ['100', '6', 'accept', '0.0.0.0/0', '0.0.0.0/0', undefined, undefined],
        ['110', '17', 'accept', '0.0.0.0/0', '0.0.0.0/0', { FromPort: '443', ToPort: '443' }, undefined],
        ['120', '17', 'accept', '0.0.0.0/0', '0.0.0.0/0', undefined, { FromPort: '443', ToPort: '443' }],
      ],
    );
  }
  const sessions = creates.filter((c) => c.action === 'CreateTrafficMirrorSession').map((c) => c.params);
  assert.equal(
    sessions.map((s) => [s.NetworkInterfaceId, s.VirtualNetworkId, s.SessionNumber, s.PacketLength]),
    [
      ['eni-0aaa1', '4242', '1', undefined],
      ['eni-0bbb1', '4243', '1', undefined],
      ['eni-0ccc1', '4244', '1', undefined],
    ],
  );
  assert.ok(sessions.every((s) => s.TrafficMirrorTargetId === fake.targets[0].TrafficMirrorTargetId && s.TrafficMirrorFilterId === fake.filters[0].TrafficMirrorFilterId));

  const again = await aws(['apply', '--source-tag', 'Role=web', '--source-eni', 'eni-0ccc1', '--vni-base', '4242']);
  assert.is(again.code, 0, again.stderr);
  assert.equal(again.writes, [], 'the second apply writes nothing');
  assert.match(again.stdout, /no changes: 3 session\(s\) as asked/);
  assert.equal([fake.targets.length, fake.filters.length, fake.sessions.length], [1, 1, 3]);
});

test('apply repairs drift: PacketLength removed, a source gone, a rule changed; ports and NLB target', async () => {
  const nlb = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/mirror/0123456789abcdef';
  let r = await aws(['apply', '--nlb-arn', nlb, '--source-eni', 'eni-0aaa1,eni-0bbb1']);
  assert.is(r.code, 0, r.stderr);
  assert.is(fake.calls.find((c) => c.action === 'CreateTrafficMirrorTarget').params.NetworkLoadBalancerArn, nlb);
  fake.sessions[0].PacketLength = '128'; // someone cut packets
  r = await aws(['plan', '--nlb-arn', nlb, '--source-eni', 'eni-0aaa1', '--udp-ports', '443,4433']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.writes, []);
  assert.match(r.stdout, /remove PacketLength 128/);
  assert.match(r.stdout, /delete session tms-\w+ \(eni-0bbb1: no longer a source\)/);
  assert.match(r.stdout, /create rule: ingress #130: accept udp to port 4433/);
  r = await aws(['apply', '--nlb-arn', nlb, '--source-eni', 'eni-0aaa1', '--udp-ports', '443,4433']);
  assert.is(r.code, 0, r.stderr);
  const mod = fake.calls.find((c) => c.action === 'ModifyTrafficMirrorSession').params;
  assert.equal(mod.RemoveField, ['packet-length']);
  assert.is(fake.sessions.length, 1);
  assert.is(fake.sessions[0].PacketLength, undefined);
  assert.is(fake.filters[0].IngressFilterRuleSet.length + fake.filters[0].EgressFilterRuleSet.length, 10);
  r = await aws(['plan', '--nlb-arn', nlb, '--source-eni', 'eni-0aaa1', '--udp-ports', '443,4433']);
  assert.match(r.stdout, /no changes/);
});

test('a lost create response is retried with the same client token: one resource', async () => {
  fake.failures.push({ action: 'CreateTrafficMirrorSession', times: 1, afterCreate: true });
  const r = await aws(['apply', '--source-eni', 'eni-0aaa1']);
  assert.is(r.code, 0, r.stderr);
  const attempts = fake.calls.filter((c) => c.action === 'CreateTrafficMirrorSession');
  assert.is(attempts.length, 2, 'the SDK retried');
  assert.is(attempts[0].params.ClientToken, attempts[1].params.ClientToken);
  assert.is(fake.sessions.length, 1);
});

test('destroy removes only tagged resources: sessions, then filter, then target', async () => {
  await aws(['apply', '--source-tag', 'Role=web']);
  await aws(['apply', '--name', 'other', '--target-eni', 'eni-0ccc1', '--source-eni', 'eni-0aaa2']);
  // a mirror set up by hand, untagged, to the same target as ours
  fake.sessions.push({ TrafficMirrorSessionId: 'tms-0byhand', TrafficMirrorTargetId: fake.targets[0].TrafficMirrorTargetId, TrafficMirrorFilterId: 'tmf-0byhand', NetworkInterfaceId: 'eni-0ddd1', SessionNumber: 2, VirtualNetworkId: 7, TagSet: [] });
  const before = fake.sessions.length;
  let r = await aws(['destroy', '--dry-run']);
  assert.is(r.code, 1, 'our target is kept (still used): exit 1');
  assert.equal(r.writes, []);
  assert.is(fake.sessions.length, before);
  r = await aws(['destroy']);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.writes.map((c) => c.action), ['DeleteTrafficMirrorSession', 'DeleteTrafficMirrorSession', 'DeleteTrafficMirrorFilter']);
  assert.match(r.stdout, /target tmt-\w+ kept: used by sessions intransit does not manage \(tms-0byhand\)/);
  assert.ok(fake.sessions.some((s) => s.TrafficMirrorSessionId === 'tms-0byhand'), 'the hand-made session stays');
  assert.ok(fake.sessions.some((s) => s.TagSet.some((t) => t.Value === 'other')), 'the other deployment stays');
  fake.sessions = fake.sessions.filter((s) => s.TrafficMirrorSessionId !== 'tms-0byhand');
  r = await aws(['destroy']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.writes.map((c) => c.action), ['DeleteTrafficMirrorTarget']);
  r = await aws(['destroy', '--name', 'other']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.writes.map((c) => c.action), ['DeleteTrafficMirrorSession', 'DeleteTrafficMirrorFilter', 'DeleteTrafficMirrorTarget']);
  assert.equal([fake.targets.length, fake.filters.length, fake.sessions.length], [0, 0, 0]);
});

test('status: sessions with VNI and instance, problems named', async () => {
  await aws(['apply', '--source-tag', 'Role=web', '--vni-base', '100']);
  fake.sessions[1].PacketLength = '200';
  const r = await aws(['status']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.writes, []);
  assert.match(r.stdout, /session tms-\w+: vni 100, source eni-0aaa1 \(i-0web1 "web-1"\)/);
  assert.match(r.stdout, /problem: session tms-\w+ \(vni 101\) has PacketLength 200/);
  const j = JSON.parse((await aws(['status', '--json'])).stdout);
  assert.equal(j.sessions.map((s) => [s.vni, s.instance_name]), [[100, 'web-1'], [101, 'web-2']]);
});

test('errors: throttling, UnauthorizedOperation, no credentials, usage: one line each', async () => {
  fake.failures.push({ action: 'DescribeTrafficMirrorTargets', code: 'RequestLimitExceeded', status: 503, times: 99, message: 'Request limit exceeded.' });
  let r = await aws(['plan', '--source-eni', 'eni-0aaa1']);
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^intransit: aws: EC2 throttled ec2:DescribeTrafficMirrorTargets \(RequestLimitExceeded after 2 attempts\)/);
  fake.failures.length = 0;

  fake.failures.push({ action: 'DescribeTrafficMirrorSessions', code: 'RequestLimitExceeded', status: 503, times: 1, message: 'Request limit exceeded.' });
  r = await aws(['plan', '--source-eni', 'eni-0aaa1']);
  assert.is(r.code, 0, 'one throttled call is retried by the SDK: ' + r.stderr);
  fake.failures.length = 0;

  fake.failures.push({ action: 'CreateTrafficMirrorTarget', code: 'UnauthorizedOperation', status: 403, times: 1, message: 'You are not authorized to perform this operation. Encoded authorization failure message: AbCdEf0123456789' });
  r = await aws(['apply', '--source-eni', 'eni-0aaa1']);
  assert.is(r.code, 1);
  const line = r.stderr.trim().split('\n').filter((l) => !l.includes('aws: done'));
  assert.is(line.length, 1, r.stderr);
  assert.match(line[0], /not authorized to call ec2:CreateTrafficMirrorTarget \(UnauthorizedOperation: You are not authorized to perform this operation.\); grant the policy that intransit aws iam-policy prints/);
  assert.not.match(line[0], /AbCdEf/);
  assert.is(fake.targets.length, 0);

  r = await aws(['plan', '--source-eni', 'eni-0aaa1'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' });
  assert.is(r.code, 1);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no AWS credentials/);

  r = await aws(['plan', '--source-eni', 'eni-0123456789abcdef0']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /InvalidNetworkInterfaceID\.NotFound/);

  r = await aws(['plan']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /give the sources to mirror/);
  r = await aws(['plan', '--source-eni', 'eni-0aaa1', '--ipv6', '--udp-ports', '443,8443']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /needs 20 rules, more than the 10 AWS allows/);
  r = await aws(['plan', '--source-eni', 'eni-0aaa1', '--target-eni', 'eni-0aaa1', '--nlb-arn', 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/x/1']);
  assert.is(r.code, 2);
  assert.equal(r.calls, [], 'usage errors ask AWS nothing');
  r = await aws(['frobnicate']);
  assert.is(r.code, 2);
});

test('iam-policy: valid, read-only variant, covers every action the commands called', async () => {
  const r = await aws(['iam-policy']);
  assert.is(r.code, 0);
  assert.equal(r.calls, []);
  const policy = JSON.parse(r.stdout);
  assert.is(policy.Version, '2012-10-17');
  const actions = new Set(policy.Statement.flatMap((s) => [].concat(s.Action)));
  // run the commands once more so that every action shows up
  await aws(['apply', '--source-tag', 'Role=web']);
  fake.sessions[0].PacketLength = '99';
  await aws(['apply', '--source-eni', 'eni-0aaa1', '--udp-ports', '4433']);
  await aws(['destroy']);
  for (const a of allActions) assert.ok(actions.has(`ec2:${a}`), `policy lacks ec2:${a}`);
  for (const s of policy.Statement.filter((s) => [].concat(s.Action).some((a) => /Delete|Modify/.test(a)) && s.Sid !== 'IntransitFilterRules')) {
    assert.equal(s.Condition, { StringEquals: { 'aws:ResourceTag/intransit:managed': 'intransit' } }, s.Sid);
  }
  const ro = JSON.parse((await aws(['iam-policy', '--read-only'])).stdout);
  assert.ok(ro.Statement.every((s) => [].concat(s.Action).every((a) => a.startsWith('ec2:Describe'))));
});

test.run();
