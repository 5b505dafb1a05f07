#!/usr/bin/env python3
"""User-space encapsulation endpoints for the sample captures.

The kernel generate.sh runs on may lack the 8021q, gre and geneve modules (and
the tc vlan action), so the VLAN, GRE and Geneve captures use this relay
instead: it owns a TAP/TUN device that the namespace's ordinary IP stack
routes through, and carries what that device emits across the veth in the
real wire format, byte for byte what the kernel drivers would send:

  vlan   TAP TRUNK VID            Ethernet frames tagged 802.1Q (TPID 0x8100)
                                  on the TRUNK interface (AF_PACKET).
  gre    TUN LOCAL REMOTE         IPv4 packets in GRE (RFC 2784, no options,
                                  protocol 0x0800) in IPv4 (raw IP socket).
  geneve TAP LOCAL REMOTE VNI     Ethernet frames in Geneve (RFC 8926, no
                                  options, protocol 0x6558) in UDP 6081.

Runs until killed. The device disappears with the process.
"""
import fcntl
import os
import select
import socket
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000

ETH_P_ALL = 0x0003
ETH_P_8021Q = 0x8100
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
# struct tpacket_auxdata: status, len, snaplen (u32); mac, net, vlan_tci, vlan_tpid (u16)
AUXDATA = struct.Struct("=IIIHHHH")

GRE_PROTO = 47
GENEVE_PORT = 6081


def open_device(name: str, flags: int) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags | IFF_NO_PI))
    return fd


def relay(dev_fd: int, sock: socket.socket, encap, decap) -> None:
    """Shuttle packets: device -> encap -> socket, socket -> decap -> device."""
    while True:
        ready, _, _ = select.select([dev_fd, sock], [], [])
        if dev_fd in ready:
            encap(os.read(dev_fd, 65536))
        if sock in ready:
            inner = decap()
            if inner is not None:
                os.write(dev_fd, inner)


def run_vlan(tap: str, trunk: str, vid: int) -> None:
    dev = open_device(tap, IFF_TAP)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind((trunk, ETH_P_ALL))
    tag = struct.pack("!HH", ETH_P_8021Q, vid & 0x0FFF)

    def encap(frame: bytes) -> None:
        sock.send(frame[:12] + tag + frame[12:])

    def decap():
        frame, ancdata, _, addr = sock.recvmsg(65536, socket.CMSG_SPACE(AUXDATA.size))
        if addr[2] == socket.PACKET_OUTGOING:
            return None
        # The receive path moves a 802.1Q tag out of the frame into metadata;
        # a tag still inline (e.g. stacked) is handled too.
        for level, kind, data in ancdata:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status, _, _, _, _, tci, _ = AUXDATA.unpack(data[: AUXDATA.size])
                if status & TP_STATUS_VLAN_VALID:
                    return frame if (tci & 0x0FFF) == vid else None
        if len(frame) >= 18 and frame[12:14] == tag[:2] and frame[14:16] == tag[2:]:
            return frame[:12] + frame[16:]
        return None

    relay(dev, sock, encap, decap)


def run_gre(tun: str, local: str, remote: str) -> None:
    dev = open_device(tun, IFF_TUN)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, GRE_PROTO)
    sock.bind((local, 0))
    header = struct.pack("!HH", 0, 0x0800)

    def encap(packet: bytes) -> None:
        if packet and packet[0] >> 4 == 4:
            sock.sendto(header + packet, (remote, 0))

    def decap():
        packet, addr = sock.recvfrom(65536)
        if addr[0] != remote:
            return None
        ihl = (packet[0] & 0x0F) * 4
        gre = packet[ihl : ihl + 4]
        if gre != header:
            return None
        return packet[ihl + 4 :]

    relay(dev, sock, encap, decap)


def run_geneve(tap: str, local: str, remote: str, vni: int) -> None:
    dev = open_device(tap, IFF_TAP)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((local, GENEVE_PORT))
    # Version 0, no options, O and C bits clear, Transparent Ethernet Bridging.
    header = struct.pack("!BBHI", 0, 0, 0x6558, vni << 8)

    def encap(frame: bytes) -> None:
        sock.sendto(header + frame, (remote, GENEVE_PORT))

    def decap():
        datagram, addr = sock.recvfrom(65536)
        if addr[0] != remote or len(datagram) < 8:
            return None
        opt_len = (datagram[1] & 0x3F) * 4
        if datagram[:1] != b"\0" or datagram[2:4] != b"\x65\x58":
            return None
        if struct.unpack("!I", datagram[4:8])[0] >> 8 != vni:
            return None
        return datagram[8 + opt_len :]

    relay(dev, sock, encap, decap)


def main(argv: list) -> None:
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "vlan" and len(argv) == 5:
        run_vlan(argv[2], argv[3], int(argv[4]))
    elif mode == "gre" and len(argv) == 5:
        run_gre(argv[2], argv[3], argv[4])
    elif mode == "geneve" and len(argv) == 6:
        run_geneve(argv[2], argv[3], argv[4], int(argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
