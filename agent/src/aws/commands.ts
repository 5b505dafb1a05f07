// The aws subcommands: flags -> settings -> plan / apply / status / destroy / policy.

import { UsageError } from '../cli/args.js';
import { applyPlan, destroyDeployment } from './apply.js';
import { AwsError, Ec2 } from './ec2.js';
import { instanceIdentity } from './imds.js';
import { makePlan, readState, resolveSources, type Source } from './plan.js';
import { iamPolicy } from './policy.js';
import { planText, statusReport, statusText } from './report.js';
import { filterRules, parsePorts, targetFromFlags, type TargetSpec } from './spec.js';

type Flags = Record<string, string | number | boolean>;

const out = (text: string): void => void process.stdout.write(text);
const log = (line: string): void => void process.stderr.write(`intransit: aws: ${line}\n`);

function sourceOptions(flags: Flags): { enis: string[]; tag: { key: string; value: string } | null; allInterfaces: boolean } {
  const enis = flags['source-eni'] === undefined ? [] : String(flags['source-eni']).split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of enis) if (!/^eni-[0-9a-f]+$/.test(e)) throw new UsageError(`--source-eni: "${e}" is not a network interface id (eni-...)`);
  let tag: { key: string; value: string } | null = null;
  if (flags['source-tag'] !== undefined) {
    const t = String(flags['source-tag']);
    const eq = t.indexOf('=');
    if (eq <= 0) throw new UsageError(`--source-tag takes KEY=VALUE, not "${t}"`);
    tag = { key: t.slice(0, eq), value: t.slice(eq + 1) };
  }
  if (!enis.length && !tag) throw new UsageError('give the sources to mirror: --source-eni ENI[,ENI] and/or --source-tag KEY=VALUE');
  return { enis, tag, allInterfaces: !!flags['all-interfaces'] };
}

async function resolveTarget(flags: Flags): Promise<TargetSpec> {
  const given = targetFromFlags(flags);
  if (given) return given;
  try {
    const me = await instanceIdentity();
    return { kind: 'eni', id: me.eni, origin: `this instance ${me.instanceId}, from the metadata service` };
  } catch (e) {
    throw new AwsError(`aws: no target given and this instance's interface is unknown (${(e as Error).message}): use --target-eni, --nlb-arn or --gwlb-endpoint`);
  }
}

export async function runAwsCommand(sub: string, name: string, flags: Flags): Promise<number> {
  if (sub === 'iam-policy') {
    out(JSON.stringify(iamPolicy(name, !!flags['read-only']), null, 2) + '\n');
    return 0;
  }
  let ec2: Ec2 | null = null;
  try {
    if (sub === 'plan' || sub === 'apply') {
      // everything from the command line is checked before AWS is asked anything
      const rules = filterRules(parsePorts(String(flags['tcp-ports'] ?? 'all'), '--tcp-ports'), parsePorts(String(flags['udp-ports'] ?? '443'), '--udp-ports'), !!flags.ipv6);
      const sourceOpts = sourceOptions(flags);
      const vniBase = flags['vni-base'] === undefined ? null : Number(flags['vni-base']);
      if (vniBase !== null && (!Number.isInteger(vniBase) || vniBase > 16777215)) throw new UsageError('--vni-base takes 0 to 16777215');
      const sessionNumber = flags['session-number'] === undefined ? 1 : Number(flags['session-number']);
      if (!Number.isInteger(sessionNumber) || sessionNumber < 1 || sessionNumber > 32766) throw new UsageError('--session-number takes 1 to 32766');
      const target = await resolveTarget(flags);
      ec2 = await Ec2.open({ readOnly: sub === 'plan' });
      const region = await ec2.region();
      const { sources, notes } = await resolveSources(ec2, sourceOpts);
      const plan = makePlan(await readState(ec2), { name, target, sources, rules, vniBase, sessionNumber });
      plan.notes.unshift(...notes);
      if (sub === 'plan') {
        out(flags.json ? JSON.stringify({ region, ...plan }, null, 2) + '\n' : planText(plan, region));
        return 0;
      }
      if (!flags.json) out(planText(plan, region));
      const r = await applyPlan(ec2, plan, log);
      if (flags.json) out(JSON.stringify({ region, ...plan, result: r }, null, 2) + '\n');
      else out(`applied: ${r.created} created, ${r.modified} modified, ${r.deleted} deleted\n`);
      return 0;
    }
    if (sub === 'status') {
      ec2 = await Ec2.open({ readOnly: true });
      const region = await ec2.region();
      const state = await readState(ec2);
      const enis = [...new Set(state.sessions.map((x) => x.NetworkInterfaceId as string))];
      const sources = new Map<string, Source>();
      if (enis.length) {
        // interfaces deleted since their session was made are simply not described
        try {
          const r = await resolveSources(ec2, { enis, tag: null, allInterfaces: false });
          for (const s of r.sources) sources.set(s.eni, s);
        } catch (e) {
          if (!(e instanceof AwsError) || /not authorized|throttled/.test(e.message)) throw e;
        }
      }
      const report = statusReport(state, name, region, sources);
      out(flags.json ? JSON.stringify(report, null, 2) + '\n' : statusText(report));
      return 0;
    }
    // destroy
    ec2 = await Ec2.open({ readOnly: !!flags['dry-run'] });
    const r = await destroyDeployment(ec2, name, !!flags['dry-run'], (l) => out(l + '\n'));
    return r.kept.length ? 1 : 0;
  } catch (e) {
    if (e instanceof AwsError) {
      process.stderr.write(`intransit: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    ec2?.destroy();
  }
}
