#!/usr/bin/env python3
"""Turn off checksum/segmentation offloads on a network interface.

Why: on a veth pair the kernel leaves TCP/UDP checksums unfilled
(CHECKSUM_PARTIAL) and hands tcpdump TSO/GSO super-segments larger than the
MTU. Real wire captures have neither, so the sample captures are taken with
the offloads off. This does what `ethtool -K IF tx off sg off tso off gso off
gro off` would do, for machines without ethtool, via the legacy SIOCETHTOOL
set commands.
"""
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
# Legacy ethtool "set" commands (linux/ethtool.h).
COMMANDS = {
    "tx-checksumming": 0x00000017,  # ETHTOOL_STXCSUM
    "scatter-gather": 0x00000019,   # ETHTOOL_SSG
    "tso": 0x0000001F,              # ETHTOOL_STSO
    "gso": 0x00000024,              # ETHTOOL_SGSO
    "gro": 0x0000002C,              # ETHTOOL_SGRO
}


def set_off(sock: socket.socket, ifname: str, cmd: int) -> None:
    value = ctypes.create_string_buffer(struct.pack("II", cmd, 0))
    ifreq = struct.pack("16sP", ifname.encode(), ctypes.addressof(value))
    ifreq += b"\0" * (40 - len(ifreq))
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq)


def main() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    failed = 0
    for ifname in sys.argv[1:]:
        for name, cmd in COMMANDS.items():
            try:
                set_off(sock, ifname, cmd)
            except OSError as err:
                failed += 1
                print(f"offload_off: {ifname} {name}: {err}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
