// Carries out a plan, and removes a deployment. Every create has a fresh client token
// (a retried request never makes a second resource) and the intransit:managed tag
// (how the next plan finds it); destroy deletes only what carries the tag: sessions,
// then the filter, then the target.

import { randomUUID } from 'node:crypto';
import type { Ec2 } from './ec2.js';
import { AwsError } from './ec2.js';
import { NEW_FILTER, NEW_TARGET, readState, type Plan, type Step } from './plan.js';
import { isManaged, tagSpecification, TARGET_FIELD } from './spec.js';
import { describeStep } from './report.js';

export interface ApplyResult {
  created: number;
  modified: number;
  deleted: number;
}

function portRange(p: { from: number; to: number } | null): Record<string, number> | undefined {
  return p === null ? undefined : { FromPort: p.from, ToPort: p.to };
}

export async function applyPlan(ec2: Ec2, plan: Plan, log: (line: string) => void): Promise<ApplyResult> {
  const result: ApplyResult = { created: 0, modified: 0, deleted: 0 };
  let targetId = plan.targetId ?? NEW_TARGET;
  let filterId = plan.filterId ?? NEW_FILTER;
  const resolve = (id: string | undefined): string | undefined => (id === NEW_TARGET ? targetId : id === NEW_FILTER ? filterId : id);
  const run = async (step: Step): Promise<string> => {
    switch (step.op) {
      case 'create-target': {
        const out = await ec2.call('CreateTrafficMirrorTarget', {
          [TARGET_FIELD[step.target.kind]]: step.target.id,
          Description: `intransit ${plan.name}: mirror target`,
          TagSpecifications: tagSpecification('traffic-mirror-target', plan.name, 'target'),
          ClientToken: randomUUID(),
        });
        targetId = out.TrafficMirrorTarget.TrafficMirrorTargetId;
        result.created++;
        return targetId;
      }
      case 'create-filter': {
        const out = await ec2.call('CreateTrafficMirrorFilter', {
          Description: `intransit ${plan.name}: TLS and cleartext audit`,
          TagSpecifications: tagSpecification('traffic-mirror-filter', plan.name, 'filter'),
          ClientToken: randomUUID(),
        });
        filterId = out.TrafficMirrorFilter.TrafficMirrorFilterId;
        result.created++;
        return filterId;
      }
      case 'create-rule': {
        const r = step.rule;
        const out = await ec2.call('CreateTrafficMirrorFilterRule', {
          TrafficMirrorFilterId: filterId,
          TrafficDirection: r.direction,
          RuleNumber: r.ruleNumber,
          RuleAction: 'accept',
          Protocol: r.protocol,
          SourceCidrBlock: r.srcCidr,
          DestinationCidrBlock: r.dstCidr,
          SourcePortRange: portRange(r.srcPorts),
          DestinationPortRange: portRange(r.dstPorts),
          Description: `intransit ${plan.name}`,
          ClientToken: randomUUID(),
        });
        result.created++;
        return out.TrafficMirrorFilterRule.TrafficMirrorFilterRuleId;
      }
      case 'delete-rule':
        await ec2.call('DeleteTrafficMirrorFilterRule', { TrafficMirrorFilterRuleId: step.ruleId });
        result.deleted++;
        return step.ruleId;
      case 'create-session': {
        const out = await ec2.call('CreateTrafficMirrorSession', {
          NetworkInterfaceId: step.source.eni,
          TrafficMirrorTargetId: targetId,
          TrafficMirrorFilterId: filterId,
          SessionNumber: step.sessionNumber,
          // PacketLength left unset: whole packets (a cut packet loses handshakes)
          ...(step.vni !== null ? { VirtualNetworkId: step.vni } : {}),
          Description: `intransit ${plan.name}: ${step.source.eni}${step.source.instanceId ? ` (${step.source.instanceId})` : ''}`,
          TagSpecifications: tagSpecification('traffic-mirror-session', plan.name, 'session'),
          ClientToken: randomUUID(),
        });
        result.created++;
        return `${out.TrafficMirrorSession.TrafficMirrorSessionId} vni ${out.TrafficMirrorSession.VirtualNetworkId}`;
      }
      case 'modify-session': {
        const c = step.changes;
        await ec2.call('ModifyTrafficMirrorSession', {
          TrafficMirrorSessionId: step.sessionId,
          ...(c.targetId !== undefined ? { TrafficMirrorTargetId: resolve(c.targetId) } : {}),
          ...(c.filterId !== undefined ? { TrafficMirrorFilterId: resolve(c.filterId) } : {}),
          ...(c.vni !== undefined ? { VirtualNetworkId: c.vni } : {}),
          ...(c.removePacketLength !== undefined ? { RemoveFields: ['packet-length'] } : {}),
        });
        result.modified++;
        return step.sessionId;
      }
      case 'delete-session':
        await ec2.call('DeleteTrafficMirrorSession', { TrafficMirrorSessionId: step.sessionId });
        result.deleted++;
        return step.sessionId;
      case 'delete-target':
        await ec2.call('DeleteTrafficMirrorTarget', { TrafficMirrorTargetId: step.targetId });
        result.deleted++;
        return step.targetId;
    }
  };
  for (const step of plan.steps) {
    const id = await run(step);
    log(`done: ${describeStep(step, plan)}${id && !describeStep(step, plan).includes(id) ? ` -> ${id}` : ''}`);
  }
  return result;
}

export interface DestroyResult {
  deleted: string[];
  kept: string[];
}

/** Deletes the deployment's tagged sessions, then filter(s), then target(s). */
export async function destroyDeployment(ec2: Ec2, name: string, dryRun: boolean, log: (line: string) => void): Promise<DestroyResult> {
  const state = await readState(ec2);
  const result: DestroyResult = { deleted: [], kept: [] };
  const act = async (action: string, input: Record<string, string>, what: string) => {
    if (dryRun) log(`would delete ${what}`);
    else {
      await ec2.call(action, input);
      log(`deleted ${what}`);
    }
    result.deleted.push(what);
  };
  const sessions = state.sessions.filter((x) => isManaged(x.Tags, name));
  for (const x of sessions) await act('DeleteTrafficMirrorSession', { TrafficMirrorSessionId: x.TrafficMirrorSessionId }, `session ${x.TrafficMirrorSessionId} (${x.NetworkInterfaceId})`);
  const gone = new Set(sessions.map((x) => x.TrafficMirrorSessionId));
  const remaining = state.sessions.filter((x) => !gone.has(x.TrafficMirrorSessionId));
  for (const f of state.filters.filter((f) => isManaged(f.Tags, name))) {
    const users = remaining.filter((x) => x.TrafficMirrorFilterId === f.TrafficMirrorFilterId);
    if (users.length) {
      const why = `filter ${f.TrafficMirrorFilterId} kept: used by sessions intransit does not manage (${users.map((u) => u.TrafficMirrorSessionId).join(', ')})`;
      log(why);
      result.kept.push(why);
    } else await act('DeleteTrafficMirrorFilter', { TrafficMirrorFilterId: f.TrafficMirrorFilterId }, `filter ${f.TrafficMirrorFilterId}`);
  }
  for (const t of state.targets.filter((t) => isManaged(t.Tags, name))) {
    const users = remaining.filter((x) => x.TrafficMirrorTargetId === t.TrafficMirrorTargetId);
    if (users.length) {
      const why = `target ${t.TrafficMirrorTargetId} kept: used by sessions intransit does not manage (${users.map((u) => u.TrafficMirrorSessionId).join(', ')})`;
      log(why);
      result.kept.push(why);
    } else await act('DeleteTrafficMirrorTarget', { TrafficMirrorTargetId: t.TrafficMirrorTargetId }, `target ${t.TrafficMirrorTargetId}`);
  }
  if (!result.deleted.length && !result.kept.length) log(`nothing tagged intransit:managed=${name} in this account and region`);
  return result;
}

export { AwsError };
