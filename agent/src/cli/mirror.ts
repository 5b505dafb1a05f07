// `intransit mirror`: the agent on a VPC Traffic Mirroring target. Receives the mirror
// sessions' VXLAN (or GENEVE from a Gateway Load Balancer endpoint) on a UDP socket and
// audits the traffic inside, with the mirror doctor watching the configuration.

import type { PacketEngine } from '../live/packet-engine.js';
import { engineFor, WORKERS_HELP, workersFlag } from '../live/engines.js';
import { openOutputs, OUTPUT_FLAGS, OUTPUT_HELP } from './outputs.js';
import { parseArgs, UsageError } from './args.js';
import { parseHostPort } from '../live/address.js';
import { runUntilStopped } from '../live/service.js';
import { MirrorDoctor } from '../mirror/doctor.js';
import { MirrorReceiver, type Encapsulation } from '../mirror/receiver.js';
import { MirrorSink, type DocumentTransform } from '../mirror/sink.js';

export const MIRROR_HELP = `usage: intransit mirror [--listen ADDR:PORT] [options]

Receives VPC Traffic Mirroring on a UDP socket (no root, no libpcap) and reports every
connection inside, like replay. Run it on the instance that is the mirror target (or
on each instance behind the target's Network Load Balancer).

  --listen ADDR:PORT   where mirrored traffic arrives (default 0.0.0.0:4789, VXLAN, as
                       AWS sends it; 0.0.0.0:6081 for a Gateway Load Balancer endpoint,
                       GENEVE carrying the VXLAN). The security group must allow UDP
                       4789 (or 6081) from the mirror sources.
  --encap vxlan|geneve what the datagrams are (default: geneve on port 6081, else vxlan)
  --duration S         stop after S seconds (default: run until SIGINT / SIGTERM)
  --rcvbuf-mb N        socket receive buffer to ask for (default 32); the kernel caps it
                       at net.core.rmem_max
  --health ADDR:PORT   HTTP health endpoint for load balancer target-group checks:
                       200 with JSON counters while receiving
  --enrich             add the source instance (cloud.*: account, region, instance id and
                       Name, VPC, subnet) of each mirror session, looked up with the AWS
                       SDK's default credentials (needs the iam-policy's Describe* rights)
  --stats-interval S   log counters on standard error every S seconds (default 60, 0: never)
  --max-flows N        hard cap on concurrent flows (default 100000)
${WORKERS_HELP}${OUTPUT_HELP}  -h, --help           this help

The mirror doctor reports once per mirror session (VNI), on standard error and in the
summary (intransit.summary.mirror): packets cut short (PacketLength, MTU), connections
seen in one direction only (filter rules), and datagrams the socket dropped.

exit status: 0 stopped (duration, SIGINT, SIGTERM; the summary is written), 2 the
socket cannot be opened or a usage error.
`;

export async function mirror(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, {
    ...OUTPUT_FLAGS,
    listen: 'string',
    encap: 'string',
    duration: 'number',
    'rcvbuf-mb': 'number',
    health: 'string',
    enrich: 'boolean',
    'stats-interval': 'number',
    'max-flows': 'number',
    workers: 'number',
    help: 'boolean',
  });
  if (flags.help) {
    process.stdout.write(MIRROR_HELP);
    return 0;
  }
  if (positional.length) throw new UsageError(`mirror takes no argument "${positional[0]}" (see intransit mirror --help)`);
  const listen = parseHostPort(String(flags.listen ?? '0.0.0.0:4789'), '0.0.0.0', '--listen');
  const encapFlag = flags.encap === undefined ? (listen.port === 6081 ? 'geneve' : 'vxlan') : String(flags.encap);
  if (encapFlag !== 'vxlan' && encapFlag !== 'geneve') throw new UsageError(`--encap takes vxlan or geneve, not "${encapFlag}"`);
  const workers = workersFlag(flags.workers);
  const health = flags.health !== undefined ? parseHostPort(String(flags.health), '0.0.0.0', '--health') : undefined;
  const rcvbufMb = (flags['rcvbuf-mb'] as number | undefined) ?? 32;
  if (rcvbufMb < 0.0625 || rcvbufMb > 2047) throw new UsageError('--rcvbuf-mb takes 0.0625 to 2047');
  const log = (line: string): void => void process.stderr.write(`intransit: ${line}\n`);

  const doctor = new MirrorDoctor(log);
  let transform: DocumentTransform | null = null;
  let stopEnrichment: (() => void) | null = null;
  if (flags.enrich) {
    const { startEnrichment } = await import('../aws/enrich.js');
    const { AwsError } = await import('../aws/ec2.js');
    let enrichment;
    try {
      enrichment = await startEnrichment({ log, listen: `${listen.host}:${listen.port}`, outerSources: (vni) => doctor.sourcesOf(vni) });
    } catch (e) {
      if (!(e instanceof AwsError)) throw e;
      log(`--enrich: ${e.message.replace(/^aws: /, '')}`);
      return 2;
    }
    transform = enrichment.transform;
    stopEnrichment = enrichment.stop;
  }
  const outputs = await openOutputs(flags, { command: 'mirror', source: `udp ${listen.host}:${listen.port} (${encapFlag})` });
  let receiver: MirrorReceiver | null = null;
  const sink = new MirrorSink(outputs.sink, doctor, () => ({ ...(receiver?.socketReport() ?? {}), ...doctor.report() }), transform);
  const maxFlows = flags['max-flows'] as number | undefined;
  const engine: PacketEngine = await engineFor(sink, { workers, maxFlows });
  receiver = new MirrorReceiver(engine, doctor, { listen, encapsulation: encapFlag as Encapsulation, rcvbufBytes: Math.round(rcvbufMb * 1048576) });
  try {
    await receiver.bind();
  } catch (e) {
    stopEnrichment?.();
    await engine.terminate?.();
    await outputs.close();
    log((e as Error).message);
    return 2;
  }
  const warning = receiver.bufferWarning();
  if (warning) log(warning);
  log(`mirror: receiving ${encapFlag} on ${listen.family === 6 ? `[${listen.host}]` : listen.host}:${receiver.boundPort}`);
  try {
    return await runUntilStopped(engine, { sink, close: () => outputs.close() }, receiver, {
      command: 'mirror',
      durationSec: flags.duration as number | undefined,
      statsIntervalSec: (flags['stats-interval'] as number | undefined) ?? 60,
      health,
      log,
    });
  } finally {
    stopEnrichment?.();
  }
}
