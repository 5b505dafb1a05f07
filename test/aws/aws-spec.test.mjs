// The pure parts of the aws commands: port lists, filter rules (AWS's 10-rule limit),
// targets from flags, and the plan's diff of rules and sessions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { filterRules, parsePorts, ruleKey, targetFromFlags } from '../../agent/dist/aws/spec.js';
import { makePlan } from '../../agent/dist/aws/plan.js';

test('ports: all, none, lists and ranges; bad ones refused', () => {
  assert.is(parsePorts('all', '--tcp-ports'), 'all');
  assert.is(parsePorts('none', '--udp-ports'), 'none');
  assert.equal(parsePorts('443, 8000-8999', '--tcp-ports'), [{ from: 443, to: 443 }, { from: 8000, to: 8999 }]);
  for (const bad of ['443-80', '70000', 'https', '1,,2']) assert.throws(() => parsePorts(bad, '--tcp-ports'), /not a port or range/);
});

test('rules: default is 6 (TCP + UDP 443 both ways, both directions); IPv6 doubles; over 10 refused', () => {
  const rules = filterRules('all', [{ from: 443, to: 443 }], false);
  assert.is(rules.length, 6);
  assert.equal(
    rules.filter((r) => r.direction === 'egress').map((r) => [r.ruleNumber, r.protocol, r.srcPorts, r.dstPorts]),
    [
      [100, 6, null, null],
      [110, 17, null, { from: 443, to: 443 }],
      [120, 17, { from: 443, to: 443 }, null],
    ],
  );
  assert.is(filterRules('all', 'none', true).length, 4);
  assert.throws(() => filterRules('all', [{ from: 443, to: 443 }], true), /needs 12 rules, more than the 10/);
  assert.throws(() => filterRules('none', 'none', false), /mirror nothing/);
  assert.is(ruleKey({ ...rules[0], ruleNumber: 999 }), ruleKey(rules[0]), 'the number is not part of what a rule matches');
});

test('targets: one of --target-eni / --nlb-arn / --gwlb-endpoint, checked', () => {
  assert.is(targetFromFlags({}), null);
  assert.equal(targetFromFlags({ 'gwlb-endpoint': 'vpce-0abc' }), { kind: 'gwlbe', id: 'vpce-0abc', origin: '--gwlb-endpoint' });
  assert.throws(() => targetFromFlags({ 'target-eni': 'i-0abc' }), /not a network interface id/);
  assert.throws(() => targetFromFlags({ 'nlb-arn': 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1' }), /not a Network Load Balancer ARN/);
  assert.throws(() => targetFromFlags({ 'target-eni': 'eni-0a', 'gwlb-endpoint': 'vpce-0b' }), /give one target/);
});

const tag = (name = 'intransit') => [{ Key: 'intransit:managed', Value: name }];

test('plan: foreign sessions keep their session numbers, the quota of 3 is respected, the target is not its own source', () => {
  const rules = filterRules('all', 'none', false);
  const state = {
    targets: [{ TrafficMirrorTargetId: 'tmt-1', NetworkInterfaceId: 'eni-0t', Tags: tag() }],
    filters: [
      {
        TrafficMirrorFilterId: 'tmf-1',
        Tags: tag(),
        IngressFilterRules: [{ TrafficMirrorFilterRuleId: 'tmfr-keep', TrafficDirection: 'ingress', RuleNumber: 105, RuleAction: 'accept', Protocol: 6, SourceCidrBlock: '0.0.0.0/0', DestinationCidrBlock: '0.0.0.0/0' }],
        EgressFilterRules: [{ TrafficMirrorFilterRuleId: 'tmfr-old', TrafficDirection: 'egress', RuleNumber: 100, RuleAction: 'accept', Protocol: 17, SourceCidrBlock: '0.0.0.0/0', DestinationCidrBlock: '0.0.0.0/0', DestinationPortRange: { FromPort: 53, ToPort: 53 } }],
      },
    ],
    sessions: [
      { TrafficMirrorSessionId: 'tms-f1', NetworkInterfaceId: 'eni-0a', SessionNumber: 1, Tags: [] },
      { TrafficMirrorSessionId: 'tms-f2', NetworkInterfaceId: 'eni-0b', SessionNumber: 1, Tags: [] },
      { TrafficMirrorSessionId: 'tms-f3', NetworkInterfaceId: 'eni-0b', SessionNumber: 2, Tags: [] },
      { TrafficMirrorSessionId: 'tms-f4', NetworkInterfaceId: 'eni-0b', SessionNumber: 3, Tags: [] },
    ],
  };
  const src = (eni) => ({ eni, instanceId: null, name: null });
  const plan = makePlan(state, { name: 'intransit', target: { kind: 'eni', id: 'eni-0t', origin: 'test' }, sources: [src('eni-0a'), src('eni-0b'), src('eni-0t')], rules, vniBase: null, sessionNumber: 1 });
  assert.equal(
    plan.steps.map((s) => [s.op, s.ruleId ?? s.rule?.ruleNumber ?? s.source?.eni, s.sessionNumber]),
    [
      ['delete-rule', 'tmfr-old', undefined],
      ['create-rule', 100, undefined],
      ['create-session', 'eni-0a', 2],
    ],
  );
  assert.is(plan.keptRules, 1);
  assert.ok(plan.notes.some((n) => /eni-0b already has 3 mirror sessions/.test(n)));
  assert.ok(plan.notes.some((n) => /eni-0t is the target itself/.test(n)));
  assert.ok(plan.notes.some((n) => /session number 1 is taken/.test(n)));
});

test.run();
