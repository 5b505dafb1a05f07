#!/usr/bin/env node
// intransit: passive auditor of encryption in transit.

import { replay, REPLAY_HELP } from './cli/replay.js';
import { live, LIVE_HELP } from './cli/live.js';
import { mirror, MIRROR_HELP } from './cli/mirror.js';
import { aws, AWS_HELP } from './cli/aws.js';
import { serve, SERVE_HELP } from './cli/serve.js';
import { report, REPORT_HELP } from './cli/report.js';
import { UsageError } from './cli/args.js';
import { CaptureError } from './capture/index.js';

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

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  replay: { run: replay, help: REPLAY_HELP },
  serve: { run: serve, help: SERVE_HELP },
  report: { run: report, help: REPORT_HELP },
  live: { run: live, help: LIVE_HELP },
  mirror: { run: mirror, help: MIRROR_HELP },
  aws: { run: aws, help: AWS_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h') {
    process.stdout.write(HELP);
    return cmd ? 0 : 2;
  }
  if (cmd === 'help') {
    const c = rest[0] ? COMMANDS[rest[0]] : undefined;
    process.stdout.write(c ? c.help : HELP);
    return 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    process.stderr.write(`intransit: unknown command "${cmd}" (see intransit --help)\n`);
    return 2;
  }
  return command.run(rest);
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
