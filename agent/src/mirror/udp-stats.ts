// What the kernel knows about our UDP receive path (Linux /proc; null elsewhere):
// datagrams the socket itself dropped (its receive queue was full: the `drops` column
// of /proc/net/udp[6] for our socket's inode), the system-wide UDP RcvbufErrors
// counter, and the net.core.rmem_max ceiling that caps SO_RCVBUF.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** net.core.rmem_max: the largest receive buffer an unprivileged SO_RCVBUF gets. */
export function readRmemMax(): number | null {
  const t = read('/proc/sys/net/core/rmem_max');
  const n = t === null ? NaN : Number(t.trim());
  return Number.isFinite(n) ? n : null;
}

/** UDP RcvbufErrors (IPv4 + IPv6), all sockets of this network namespace. */
export function readUdpRcvbufErrors(): number | null {
  let total: number | null = null;
  const snmp = read('/proc/net/snmp');
  if (snmp !== null) {
    const lines = snmp.split('\n').filter((l) => l.startsWith('Udp: '));
    if (lines.length >= 2) {
      const names = lines[0].split(/\s+/);
      const values = lines[1].split(/\s+/);
      const i = names.indexOf('RcvbufErrors');
      if (i > 0) total = Number(values[i]) || 0;
    }
  }
  const snmp6 = read('/proc/net/snmp6');
  if (snmp6 !== null) {
    const m = /^Udp6RcvbufErrors\s+(\d+)/m.exec(snmp6);
    if (m) total = (total ?? 0) + Number(m[1]);
  }
  return total;
}

/** This process's sockets: inode -> file descriptor (Linux /proc/self/fd). */
function ownSockets(): Map<number, number> {
  const sockets = new Map<number, number>();
  let fds: string[] = [];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return sockets;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) sockets.set(Number(m[1]), Number(fd));
    } catch {
      // closed meanwhile
    }
  }
  return sockets;
}

/** This process's UDP socket bound to `port` (Linux): its inode and descriptor, or null. */
export function findUdpSocket(port: number): { inode: number; fd: number } | null {
  const own = ownSockets();
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const path of ['/proc/net/udp', '/proc/net/udp6']) {
    const t = read(path);
    if (t === null) continue;
    for (const line of t.split('\n')) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13 || !cols[1].endsWith(hexPort)) continue;
      const inode = Number(cols[9]);
      const fd = own.get(inode);
      if (fd !== undefined) return { inode, fd };
    }
  }
  return null;
}

/** Datagrams dropped by one UDP socket (found by inode), or null when not found. */
export function readSocketDrops(inode: number): number | null {
  for (const path of ['/proc/net/udp', '/proc/net/udp6']) {
    const t = read(path);
    if (t === null) continue;
    for (const line of t.split('\n')) {
      const cols = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
      if (cols.length >= 13 && Number(cols[9]) === inode) return Number(cols[12]) || 0;
    }
  }
  return null;
}
