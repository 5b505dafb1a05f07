// `intransit live -i IFACE`: audits the traffic of a network interface as it happens,
// through libpcap (the optional `cap` binding).

import type { PacketEngine } from '../live/packet-engine.js';
import { engineFor, WORKERS_HELP, workersFlag } from '../live/engines.js';
import { openOutputs, OUTPUT_FLAGS, OUTPUT_HELP } from './outputs.js';
import { parseArgs, UsageError } from './args.js';
import { parseHostPort } from '../live/address.js';
import { runUntilStopped } from '../live/service.js';
import { LiveCapture, LiveSetupError } from '../live/capture.js';
import { linkLayer } from '../decode/decoder.js';

export const LIVE_HELP = `usage: intransit live -i IFACE [options]

Captures an interface with libpcap and reports every connection, like replay; the
summary is written when it stops (--duration, SIGINT or SIGTERM).

  -i, --interface IFACE  the interface (ip link lists them; "any" for all)
  --bpf EXPR           libpcap filter, e.g. "tcp or udp port 443" (default: everything)
  --snaplen N          bytes kept of each packet (default 65535)
  --promisc            promiscuous mode (the cap binding always enables it)
  --buffer-mb N        kernel capture buffer (default 64)
  --duration S         stop after S seconds (default: run until SIGINT / SIGTERM)
  --health ADDR:PORT   HTTP health endpoint: 200 with JSON counters while capturing
  --stats-interval S   log counters on standard error every S seconds (default 60, 0: never)
  --max-flows N        hard cap on concurrent flows (default 100000)
${WORKERS_HELP}${OUTPUT_HELP}  -h, --help           this help

Needs libpcap (apt-get install libpcap-dev && npm rebuild cap) and the right to capture
(root, or CAP_NET_RAW and CAP_NET_ADMIN on the node binary). On a VPC Traffic Mirroring
target, intransit mirror needs neither.

exit status: 0 stopped (the summary is written), 2 the capture cannot start or usage error.
`;

export async function live(argv: string[]): Promise<number> {
  // -i IFACE is the libpcap tools' spelling
  const args = argv.map((a) => (a === '-i' ? '--interface' : a));
  const { positional, flags } = parseArgs(args, {
    ...OUTPUT_FLAGS,
    interface: 'string',
    bpf: 'string',
    snaplen: 'number',
    promisc: 'boolean',
    'buffer-mb': 'number',
    duration: 'number',
    health: 'string',
    'stats-interval': 'number',
    'max-flows': 'number',
    workers: 'number',
    help: 'boolean',
  });
  if (flags.help) {
    process.stdout.write(LIVE_HELP);
    return 0;
  }
  if (positional.length) throw new UsageError(`live takes no argument "${positional[0]}" (interface: -i IFACE)`);
  const iface = flags.interface as string | undefined;
  if (!iface) throw new UsageError('live needs an interface: -i IFACE (see intransit live --help)');
  const snaplen = (flags.snaplen as number | undefined) ?? 65535;
  if (!Number.isInteger(snaplen) || snaplen < 64 || snaplen > 262144) throw new UsageError('--snaplen takes 64 to 262144');
  const bufferMb = (flags['buffer-mb'] as number | undefined) ?? 64;
  if (bufferMb < 1 || bufferMb > 2047) throw new UsageError('--buffer-mb takes 1 to 2047');
  const workers = workersFlag(flags.workers);
  const health = flags.health !== undefined ? parseHostPort(String(flags.health), '0.0.0.0', '--health') : undefined;
  const log = (line: string): void => void process.stderr.write(`intransit: ${line}\n`);

  const outputs = await openOutputs(flags, { command: 'live', source: iface });
  const maxFlows = flags['max-flows'] as number | undefined;
  const engine: PacketEngine = await engineFor(outputs.sink, { workers, maxFlows });
  const capture = new LiveCapture(engine, {
    iface,
    filter: (flags.bpf as string | undefined) ?? '',
    snaplen,
    bufferBytes: Math.round(bufferMb * 1048576),
  });
  try {
    capture.open();
  } catch (e) {
    await engine.terminate?.();
    if (!(e instanceof LiveSetupError)) throw e;
    await outputs.close();
    log(e.message);
    return 2;
  }
  if (linkLayer(capture.linktype) < 0) log(`live: interface ${iface} has link type ${capture.linktypeName}, which the decoder does not know`);
  log(`live: capturing on ${iface} (${capture.linktypeName})${flags.bpf ? ` filter "${flags.bpf}"` : ''}`);
  return runUntilStopped(engine, outputs, capture, {
    command: 'live',
    durationSec: flags.duration as number | undefined,
    statsIntervalSec: (flags['stats-interval'] as number | undefined) ?? 60,
    health,
    log,
  });
}
