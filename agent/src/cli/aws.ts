// `intransit aws plan|apply|status|destroy|iam-policy`: sets up VPC Traffic Mirroring
// to this agent. The AWS SDK is loaded only here (and by mirror --enrich).

import { parseArgs, UsageError } from './args.js';

export const AWS_HELP = `usage: intransit aws <plan|apply|status|destroy|iam-policy> [options]

Sets up VPC Traffic Mirroring from source instances to this agent, idempotently: every
resource carries the tag intransit:managed=NAME, is found by it on the next run, and
only resources with it are ever changed or deleted. Credentials and region come from
the AWS SDK's default chain (environment, ~/.aws profiles, SSO, the instance role).

  plan        print what apply would change (Describe* calls only, nothing written)
  apply       make those changes (a client token on every create)
  status      the deployment: target, filter rules, sessions with their VNI and
              source instance, and problems (PacketLength set, one-way filters)
  destroy     delete the deployment's sessions, then its filter, then its target
  iam-policy  print the least-privilege IAM policy these commands need

options:
  --name NAME            deployment name: the intransit:managed tag value (default intransit)
target (one; default: this instance's primary interface, from the metadata service):
  --target-eni ENI       a network interface (eni-...)
  --nlb-arn ARN          a Network Load Balancer (UDP 4789 listener to the agents)
  --gwlb-endpoint VPCE   a Gateway Load Balancer endpoint (the agents get GENEVE on 6081)
sources (plan, apply):
  --source-eni ENI[,ENI] network interfaces to mirror
  --source-tag KEY=VALUE the primary interfaces of the instances with this tag
                         (VALUE * for any value)
  --all-interfaces       every interface of the tagged instances
filter (plan, apply):
  --tcp-ports all|none|P[,P-Q]  TCP to mirror, both directions (default all)
  --udp-ports none|P[,P-Q]      UDP to mirror, both directions (default 443: QUIC, DTLS)
  --ipv6                 also IPv6 (AWS allows 10 rules per filter)
sessions (plan, apply):
  --vni-base N           VNIs N, N+1, ... in source interface order (default: AWS picks
                         a unique VNI per session)
  --session-number N     priority among an interface's sessions (default 1)
output:
  --json                 plan and status as JSON
  --dry-run              destroy: print what would be deleted
  --read-only            iam-policy: only what mirror --enrich needs (Describe*)

exit status: 0 done, 1 AWS refused or failed (one line says why), 2 usage error.
`;

const SUBCOMMANDS = ['plan', 'apply', 'status', 'destroy', 'iam-policy'];

export async function aws(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, {
    name: 'string',
    'target-eni': 'string',
    'nlb-arn': 'string',
    'gwlb-endpoint': 'string',
    'source-eni': 'string',
    'source-tag': 'string',
    'all-interfaces': 'boolean',
    'tcp-ports': 'string',
    'udp-ports': 'string',
    ipv6: 'boolean',
    'vni-base': 'number',
    'session-number': 'number',
    json: 'boolean',
    'dry-run': 'boolean',
    'read-only': 'boolean',
    help: 'boolean',
  });
  const sub = positional[0];
  if (flags.help || !sub) {
    process.stdout.write(AWS_HELP);
    return flags.help ? 0 : 2;
  }
  if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`aws: unknown subcommand "${sub}" (${SUBCOMMANDS.join(', ')})`);
  if (positional.length > 1) throw new UsageError(`aws ${sub}: unexpected argument "${positional[1]}"`);
  const name = String(flags.name ?? 'intransit');
  if (!/^[\w.:/=+@-]{1,100}$/.test(name)) throw new UsageError(`--name: "${name}" is not a valid tag value here (letters, digits, _ . : / = + @ -)`);
  const { runAwsCommand } = await import('../aws/commands.js');
  return runAwsCommand(sub, name, flags);
}
