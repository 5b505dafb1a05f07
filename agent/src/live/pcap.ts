// Loading the optional `cap` binding (libpcap) and turning its failures into one line
// that says what to do. `cap` is an optional dependency: without libpcap-dev at
// install time it is simply absent, and only `intransit live` needs it.

import { createRequire } from 'node:module';

export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}

export interface CapModule {
  Cap: { new (): CapHandle; deviceList(): { name: string; addresses: { addr: string }[]; flags?: string }[] };
}

/** A capture that cannot start; `message` is the one line for the user. Exit status 2. */
export class LiveSetupError extends Error {}

export const INSTALL_HINT = 'apt-get install libpcap-dev && npm rebuild cap (or npm install cap) in the intransit directory';
export const PERMISSION_HINT = 'run as root, or give node the capture capabilities: setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v node)")"';

/** Why the binding did not load, as one actionable line. */
export function loadErrorMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e).split('\n')[0];
  const so = /([^\s/:]+\.so[.\d]*): cannot open shared object file/.exec(msg);
  if (so) return `live capture: libpcap is not installed (${so[1]} missing): ${INSTALL_HINT}`;
  if (err?.code === 'MODULE_NOT_FOUND' || err?.code === 'ERR_MODULE_NOT_FOUND') {
    if (/cap\.node/.test(msg)) return `live capture: the cap module is installed but not built (libpcap-dev was missing when it was installed): ${INSTALL_HINT}`;
    return `live capture: the optional cap module (libpcap binding) is not installed: ${INSTALL_HINT}; or use intransit mirror, which needs neither`;
  }
  return `live capture: the cap module (libpcap binding) failed to load (${msg}): ${INSTALL_HINT}`;
}

/** Why opening the interface failed, as one actionable line. */
export function openErrorMessage(e: unknown, iface: string, filter: string): string {
  const msg = String((e as Error)?.message ?? e).split('\n')[0];
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) return `live capture on ${iface}: permission denied (${msg}): ${PERMISSION_HINT}`;
  if (/no such device|doesn't exist|does not exist|No such file/i.test(msg)) return `live capture: no interface "${iface}" (ip link lists them)`;
  if (/not up/i.test(msg)) return `live capture: interface "${iface}" is down (ip link set ${iface} up)`;
  if (filter && /syntax error|filter|parse|expression/i.test(msg)) return `live capture: --bpf "${filter}": ${msg}`;
  return `live capture on ${iface}: ${msg}`;
}

/**
 * Loads the binding; INTRANSIT_CAP_MODULE names another module or path to load instead
 * (a separately built binding; tests point it at nothing to check the message).
 */
export function loadCap(): CapModule {
  const require = createRequire(import.meta.url);
  const name = process.env.INTRANSIT_CAP_MODULE || 'cap';
  try {
    return require(name) as CapModule;
  } catch (e) {
    throw new LiveSetupError(loadErrorMessage(e));
  }
}

/** pcap LINKTYPE_* of what cap.open() returns (a name, or "Unknown linktype N" with a DLT). */
export function capLinktype(name: string): number {
  switch (name) {
    case 'ETHERNET':
      return 1;
    case 'NULL':
      return 0;
    case 'LINKTYPE_LINUX_SLL':
      return 113;
    case 'RAW':
      return 101;
    case 'IEEE802_11_RADIO':
      return 127;
  }
  const m = /(\d+)/.exec(name);
  if (!m) return -1;
  const dlt = Number(m[1]);
  // DLT values that differ from their LINKTYPE (pcap-common.c); the rest are equal
  if (dlt === 12 || dlt === 14) return 101; // DLT_RAW
  return dlt;
}
