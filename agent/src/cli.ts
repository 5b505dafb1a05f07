#!/usr/bin/env node
// intransit: passive auditor of encryption in transit.

import { UsageError } from './cli/args.js';
import { CaptureError } from './capture/types.js';

const HELP = `usage: intransit <command> [options]

commands:
  replay <capture>...   audit saved captures (pcap, pcapng, standard input)
  live -i IFACE         audit an interface's traffic as it happens (libpcap)
  mirror                receive VPC Traffic Mirroring (VXLAN/GENEVE over UDP) and audit it
  aws <subcommand>      set up Traffic Mirroring to this agent (plan, apply, status,
                        destroy, iam-policy)
  serve                 serve the viewer and JSON API over the history database (--db)
  report --out DIR      write the auditor's report (HTML, JSON, CSV) of a stored run
  help [command]        this help, or a command's

Run "intransit <command> --help" for a command's options.
Output contract: ECS field names, NDJSON (--ndjson).
`;

interface Command {
  run: (argv: string[]) => Promise<number>;
  help: string;
}

// each command's module (and what it needs: the engine, the store, the server, the AWS SDK)
// is loaded when that command runs, so a replay does not pay for the others' start-up
const COMMANDS: Record<string, () => Promise<Command>> = {
  replay: async () => {
    const m = await import('./cli/replay.js');
    return { run: m.replay, help: m.REPLAY_HELP };
  },
  serve: async () => {
    const m = await import('./cli/serve.js');
    return { run: m.serve, help: m.SERVE_HELP };
  },
  report: async () => {
    const m = await import('./cli/report.js');
    return { run: m.report, help: m.REPORT_HELP };
  },
  live: async () => {
    const m = await import('./cli/live.js');
    return { run: m.live, help: m.LIVE_HELP };
  },
  mirror: async () => {
    const m = await import('./cli/mirror.js');
    return { run: m.mirror, help: m.MIRROR_HELP };
  },
  aws: async () => {
    const m = await import('./cli/aws.js');
    return { run: m.aws, help: m.AWS_HELP };
  },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    process.stdout.write(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === 'help') {
    const load = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(load ? (await load()).help : HELP);
    return 0;
  }
  const load = COMMANDS[cmd];
  if (!load) {
    process.stderr.write(`intransit: unknown command "${cmd}" (see intransit --help)\n`);
    return 2;
  }
  return (await load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError || e instanceof CaptureError) {
      process.stderr.write(`intransit: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`intransit: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 70;
  },
);
