#!/usr/bin/env bash
# Regenerates the project's sample captures (captures/*.pcap, *.pcapng) from
# real peers talking to each other on this machine, then refreshes
# captures/tshark-facts.json and the facts table in captures/README.md.
#
#   sudo captures/generate.sh            # every capture
#   sudo captures/generate.sh tls13-openssl cert-expired   # just these
#
# Topology: two throwaway network namespaces joined by a veth pair.
#   intransit-gen-a (clients, capture side)  va 10.99.0.1/24 fd00:99::1/64
#   intransit-gen-b (servers)                vb 10.99.0.2/24 fd00:99::2/64
# MAC addresses and neighbour entries are fixed, IPv6 router solicitation and
# checksum/segmentation offloads are off, so a capture holds only the
# conversation itself with valid checksums and MTU-sized segments.
# Certificates come from a throwaway CA made in a temporary directory on
# every run (fixed names and serials; keys, randoms and dates change).
#
# Needs root, iproute2, tcpdump, dumpcap, openssl 3, gnutls-bin, curl,
# python3, tshark and node (for the facts file).
set -euo pipefail

[[ $EUID -eq 0 ]] || { echo "generate.sh: must run as root (network namespaces)" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$HERE/gen
OUT=${OUT:-$HERE}
NS_A=intransit-gen-a
NS_B=intransit-gen-b
A4=10.99.0.1 B4=10.99.0.2
A6=fd00:99::1 B6=fd00:99::2
MAC_A=02:00:0a:63:00:01 MAC_B=02:00:0a:63:00:02
WWW=www.intransit.test
MESSAGE='hello from the intransit sample client'
SECRET=S3cr3t-Never-Shown

WORK=$(mktemp -d /tmp/intransit-gen.XXXXXX)
LOG=$WORK/log
mkdir -p "$LOG"
PIDS=()
CAP_PID=
FAILED=0

log() { printf '[generate] %s\n' "$*" >&2; }
die() { log "error: $*"; FAILED=1; exit 1; }

delete_namespaces() {
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  delete_namespaces
  if [[ $rc -ne 0 || $FAILED -ne 0 || -n ${KEEP_WORK:-} ]]; then
    log "work directory kept for inspection: $WORK (logs in $LOG)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_a() { ip netns exec "$NS_A" "$@"; }
# (Background processes use `ip netns exec` directly, so $! is the process
# itself rather than a subshell wrapping it.)

# Forget a finished background process so cleanup does not signal a reused pid.
forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------

# no_ipv6 NS DEV: overlay devices carry IPv4 only; without IPv6 they send no
# MLD/NDP chatter into the captures.
no_ipv6() { ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"; }

offload_off() { ip netns exec "$1" python3 "$GEN/offload_off.py" "$2"; }

setup_network() {
  delete_namespaces
  ip netns add "$NS_A"
  ip netns add "$NS_B"
  local ns
  for ns in "$NS_A" "$NS_B"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0
  done
  ip -n "$NS_A" link add va address "$MAC_A" type veth peer name vb address "$MAC_B" netns "$NS_B"
  ip -n "$NS_A" addr add "$A4/24" dev va
  ip -n "$NS_B" addr add "$B4/24" dev vb
  ip -n "$NS_A" addr add "$A6/64" dev va nodad
  ip -n "$NS_B" addr add "$B6/64" dev vb nodad
  offload_off "$NS_A" va
  offload_off "$NS_B" vb
  ip -n "$NS_A" link set va up
  ip -n "$NS_B" link set vb up
  ip -n "$NS_A" neigh replace "$B4" lladdr "$MAC_B" dev va nud permanent
  ip -n "$NS_B" neigh replace "$A4" lladdr "$MAC_A" dev vb nud permanent
  ip -n "$NS_A" neigh replace "$B6" lladdr "$MAC_B" dev va nud permanent
  ip -n "$NS_B" neigh replace "$A6" lladdr "$MAC_A" dev vb nud permanent
  # Let link-up chatter (MLD reports for the new addresses) die down before
  # any capture starts.
  sleep 3
}

# VXLAN VNI 4242 over the veth (kernel vxlan driver): inner 10.98.0.1 <-> .2.
setup_vxlan() {
  ip -n "$NS_A" link add vx0 address 02:00:0a:62:00:01 type vxlan id 4242 local "$A4" remote "$B4" dstport 4789 dev va
  ip -n "$NS_B" link add vx0 address 02:00:0a:62:00:02 type vxlan id 4242 local "$B4" remote "$A4" dstport 4789 dev vb
  overlay_up vx0 10.98.0 02:00:0a:62:00:01 02:00:0a:62:00:02
}

# VLAN, Geneve and GRE use gen/userspace_tunnel.py rather than kernel devices:
# kernels built without 8021q/geneve/ip_gre (and without the tc vlan action)
# are common in containers and VMs, and the relay emits the same wire format.
# relay_start NS DEVICE MODE ARGS...: start one endpoint, wait for its device.
relay_start() {
  local ns=$1 dev=$2 i
  shift 2
  ip netns exec "$ns" python3 "$GEN/userspace_tunnel.py" "$@" >>"$LOG/relay.log" 2>&1 &
  PIDS+=("$!")
  RELAY_PIDS+=("$!")
  for i in $(seq 100); do
    ip -n "$ns" link show dev "$dev" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "relay device $dev did not appear in $ns: $(cat "$LOG/relay.log")"
}
RELAY_PIDS=()

relay_stop_all() {
  local pid
  for pid in "${RELAY_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
  done
  RELAY_PIDS=()
}

# 802.1Q VLAN 100 on the veth: TAP vl100 10.97.0.1 <-> 10.97.0.2, tagged on va/vb.
setup_vlan() {
  relay_start "$NS_A" vl100 vlan vl100 va 100
  relay_start "$NS_B" vl100 vlan vl100 vb 100
  overlay_up vl100 10.97.0 02:00:0a:61:00:01 02:00:0a:61:00:02
}

# Geneve VNI 4243 in UDP 6081 over the veth: TAP gnv0 10.96.0.1 <-> 10.96.0.2.
setup_geneve() {
  relay_start "$NS_A" gnv0 geneve gnv0 "$A4" "$B4" 4243
  relay_start "$NS_B" gnv0 geneve gnv0 "$B4" "$A4" 4243
  ip -n "$NS_A" link set gnv0 mtu 1450
  ip -n "$NS_B" link set gnv0 mtu 1450
  overlay_up gnv0 10.96.0 02:00:0a:60:00:01 02:00:0a:60:00:02
}

# GRE (IPv4 in GRE in IPv4) over the veth: TUN gre1 10.95.0.1 <-> 10.95.0.2.
# A capture on gre1 itself has link type RAW (bare IPv4 packets).
setup_gre() {
  relay_start "$NS_A" gre1 gre gre1 "$A4" "$B4"
  relay_start "$NS_B" gre1 gre gre1 "$B4" "$A4"
  local ns
  for ns in "$NS_A" "$NS_B"; do
    no_ipv6 "$ns" gre1
    ip -n "$ns" link set gre1 mtu 1476 up
  done
  ip -n "$NS_A" addr add 10.95.0.1/24 dev gre1
  ip -n "$NS_B" addr add 10.95.0.2/24 dev gre1
}

# Common part of the Ethernet overlays (VXLAN, VLAN, Geneve): addresses,
# no IPv6, no offloads, static neighbours.
overlay_up() { # DEV NET_PREFIX MAC_A MAC_B
  local dev=$1 net=$2
  ip -n "$NS_A" link set "$dev" address "$3"
  ip -n "$NS_B" link set "$dev" address "$4"
  no_ipv6 "$NS_A" "$dev"
  no_ipv6 "$NS_B" "$dev"
  offload_off "$NS_A" "$dev" || log "warning: offloads of $dev (A) left as they are"
  offload_off "$NS_B" "$dev" || log "warning: offloads of $dev (B) left as they are"
  ip -n "$NS_A" addr add "$net.1/24" dev "$dev"
  ip -n "$NS_B" addr add "$net.2/24" dev "$dev"
  ip -n "$NS_A" link set "$dev" up
  ip -n "$NS_B" link set "$dev" up
  ip -n "$NS_A" neigh replace "$net.2" lladdr "$4" dev "$dev" nud permanent
  ip -n "$NS_B" neigh replace "$net.1" lladdr "$3" dev "$dev" nud permanent
}

# ---------------------------------------------------------------------------
# Capture and process control
# ---------------------------------------------------------------------------

# Wait until a capture process has opened its interface ("listening on" from
# tcpdump, "Capturing on" from dumpcap).
wait_capture_ready() {
  local err=$1 i
  for i in $(seq 200); do
    grep -qE 'listening on|Capturing on' "$err" 2>/dev/null && return 0
    kill -0 "$CAP_PID" 2>/dev/null || die "capture process exited: $(cat "$err")"
    sleep 0.05
  done
  die "capture did not start: $(cat "$err")"
}

# cap_start NAME IFACE [tcpdump options...]: tcpdump in namespace A,
# full snap length, no name resolution, packet-buffered output (-U) and
# immediate mode: without it libpcap hands packets over a ring-buffer block
# at a time (up to 1 s late), and the last packets before the stop are lost.
cap_start() {
  local name=$1 iface=$2
  shift 2
  CAP_SETTLE=0.5
  CAP_FILE=$WORK/$name
  CAP_ERR=$LOG/$name.tcpdump
  ip netns exec "$NS_A" tcpdump -i "$iface" -n -s 0 -U --immediate-mode -Z root -w "$CAP_FILE" "$@" 2>"$CAP_ERR" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_capture_ready "$CAP_ERR"
}

# cap_start_dumpcap NAME IFACE: pcapng written by Wireshark's dumpcap (which
# has no immediate mode: cap_stop waits out its buffering instead).
cap_start_dumpcap() {
  local name=$1 iface=$2
  CAP_SETTLE=1.5
  CAP_FILE=$WORK/$name
  CAP_ERR=$LOG/$name.dumpcap
  ip netns exec "$NS_A" dumpcap -i "$iface" -s 0 -w "$CAP_FILE" 2>"$CAP_ERR" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_capture_ready "$CAP_ERR"
}

# cap_stop CHECK_FILTER [tshark options]: let the last packets land, stop the capture, require
# at least one packet matching the tshark display filter, then publish.
# SIGTERM, not SIGINT: background commands of a non-interactive shell start
# with SIGINT ignored; tcpdump and dumpcap finish the file cleanly on either.
cap_stop() {
  local check=$1
  shift
  sleep "$CAP_SETTLE"
  kill -TERM "$CAP_PID"
  wait "$CAP_PID" || true
  forget_pid "$CAP_PID"
  local name
  name=$(basename "$CAP_FILE")
  local matches
  matches=$(tshark -r "$CAP_FILE" "$@" -Y "$check" -T fields -e frame.number 2>/dev/null | wc -l)
  [[ $matches -gt 0 ]] || die "$name: no packet matches '$check' (see $LOG)"
  # Every TCP connection must be captured to its end (FIN or RST).
  local opened closed
  opened=$(tshark -r "$CAP_FILE" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
  closed=$(tshark -r "$CAP_FILE" -Y 'tcp.flags.fin == 1 || tcp.flags.reset == 1' -T fields -e tcp.stream 2>/dev/null | sort -u | wc -l)
  [[ $opened -eq $closed ]] || die "$name: $opened TCP connections opened but only $closed seen closing"
  install -m 0644 "$CAP_FILE" "$OUT/$name"
  log "$name: $(tshark -r "$CAP_FILE" -T fields -e frame.number 2>/dev/null | wc -l) packets, $(stat -c %s "$OUT/$name") bytes"
}

# wait_port NS PORT [t|u]: poll until something listens on PORT.
wait_port() {
  local ns=$1 port=$2 proto=${3:-t} i
  for i in $(seq 200); do
    ip netns exec "$ns" ss -Hln"$proto" "sport = :$port" | grep -q . && return 0
    sleep 0.05
  done
  die "nothing listening on $port in $ns"
}

# srv_start PORT [t|u] -- COMMAND...: run a server in namespace B, wait for
# its port. Its standard input is a FIFO this script holds open, so servers
# that read stdin (openssl s_server in plain mode) never see end-of-file.
SRV_N=0
srv_start() {
  local port=$1 proto=$2
  shift 3
  SRV_N=$((SRV_N + 1))
  ip netns exec "$NS_B" "$@" <"$SERVER_STDIN" >"$LOG/server.$SRV_N.log" 2>&1 &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  wait_port "$NS_B" "$port" "$proto"
}

srv_stop() {
  sleep 0.2
  kill "$SRV_PID" 2>/dev/null || true
  wait "$SRV_PID" 2>/dev/null || true
  forget_pid "$SRV_PID"
}

# client COMMAND...: run a client in namespace A that gets one line of data on
# stdin, then end-of-file after a pause long enough for the server's answer
# (clients such as s_client close the connection on end-of-file). A client
# failure is logged, not fatal: some captures are failed handshakes.
CLI_N=0
client() {
  CLI_N=$((CLI_N + 1))
  { printf '%s\n' "$MESSAGE"; sleep 0.7; } |
    in_a timeout 15 "$@" >"$LOG/client.$CLI_N.log" 2>&1 ||
    log "client $CLI_N exited with $? (${*//$SECRET/[redacted]})"
  sleep 0.2
}

# ---------------------------------------------------------------------------
# Throwaway PKI
# ---------------------------------------------------------------------------

CNF=$GEN/openssl-gen.cnf
PKI=$WORK/pki
export CADIR=$PKI SAN=DNS:$WWW

ossl() { openssl "$@" -config "$CNF" 2>>"$LOG/pki.log"; }

# issue NAME CN SERIAL KEYALG EXT [x509 options...]: CA-signed leaf NAME.pem/.key
issue() {
  local name=$1 cn=$2 serial=$3 keyalg=$4 ext=$5
  shift 5
  local keyopts=()
  case $keyalg in
    rsa2048) keyopts=(-newkey rsa:2048) ;;
    ec-p256) keyopts=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) ;;
    *) die "unknown key type $keyalg" ;;
  esac
  SAN=DNS:$cn ossl req -new -nodes "${keyopts[@]}" -keyout "$PKI/$name.key" \
    -subj "/O=intransit test/CN=$cn" -out "$PKI/$name.csr"
  SAN=DNS:$cn openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" \
    -set_serial "$serial" -sha256 -extfile "$CNF" -extensions "$ext" \
    -out "$PKI/$name.pem" "$@" 2>>"$LOG/pki.log"
}

make_pki() {
  mkdir -p "$PKI"
  : >"$PKI/index.txt"
  echo 4001 >"$PKI/serial"
  ossl req -x509 -nodes -newkey rsa:2048 -keyout "$PKI/ca.key" -out "$PKI/ca.pem" \
    -subj "/O=intransit test/CN=intransit Test Root CA" -days 3650 -sha256 \
    -set_serial 0x1000 -extensions v3_ca
  issue www "$WWW" 0x1001 rsa2048 v3_server -days 365
  issue client intransit-sample-client 0x1002 rsa2048 v3_client -days 365
  issue other "$WWW" 0x1003 rsa2048 v3_server -days 365
  issue ec ec.intransit.test 0x1004 ec-p256 v3_server_ec -days 365
  issue long long.intransit.test 0x1005 rsa2048 v3_server -days 825
  # Expired: valid for one year, ended well before today.
  SAN=DNS:expired.intransit.test ossl req -new -nodes -newkey rsa:2048 \
    -keyout "$PKI/expired.key" -subj "/O=intransit test/CN=expired.intransit.test" \
    -out "$PKI/expired.csr"
  SAN=DNS:expired.intransit.test ossl ca -batch -notext -in "$PKI/expired.csr" \
    -out "$PKI/expired.pem" -startdate 20230101000000Z -enddate 20240101000000Z \
    -extensions v3_server
  # Not yet valid: its validity starts years after the capture.
  SAN=DNS:future.intransit.test ossl req -new -nodes -newkey rsa:2048 \
    -keyout "$PKI/future.key" -subj "/O=intransit test/CN=future.intransit.test" \
    -out "$PKI/future.csr"
  SAN=DNS:future.intransit.test ossl ca -batch -notext -in "$PKI/future.csr" \
    -out "$PKI/future.pem" -startdate 20350101000000Z -enddate 20351231000000Z \
    -extensions v3_server
  # Self-signed, RSA-1024, SHA-1 signature.
  SAN=DNS:legacy.intransit.test ossl req -x509 -nodes -newkey rsa:1024 -sha1 \
    -keyout "$PKI/legacy.key" -out "$PKI/legacy.pem" -days 365 -set_serial 0x1006 \
    -subj "/O=intransit test/CN=legacy.intransit.test" -extensions v3_selfsigned
  # Finite-field DH groups for the DHE captures.
  openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$PKI/dh2048.pem" 2>>"$LOG/pki.log"
  openssl dhparam -out "$PKI/dh1024.pem" 1024 2>>"$LOG/pki.log"
  log "PKI ready"
}

# The usual server identity: www.intransit.test leaf plus the CA certificate
# as chain, so TLS <= 1.2 captures carry a two-certificate chain.
WWW_ID=()
set_identities() {
  WWW_ID=(-cert "$PKI/www.pem" -key "$PKI/www.key" -cert_chain "$PKI/ca.pem")
}

s_server() { # PORT ARGS...: openssl s_server answering each line reversed
  local port=$1
  shift
  srv_start "$port" t -- openssl s_server -accept "$port" -rev "$@"
}

s_client() { # HOST:PORT ARGS...
  local target=$1
  shift
  client openssl s_client -connect "$target" "$@"
}

# ---------------------------------------------------------------------------
# Captures
# ---------------------------------------------------------------------------

cap_tls13_openssl() {
  cap_start tls13-openssl.pcap va
  s_server 443 "${WWW_ID[@]}" -alpn h2
  s_client "$B4:443" -tls1_3 -servername "$WWW" -alpn h2
  srv_stop
  cap_stop 'tls.handshake.type == 2'
}

cap_tls12_ecdhe_rsa() {
  # Full handshake + resumption by ticket, then full handshake + resumption
  # by session id (tickets disabled), all against one server process. ALPN
  # is in the clear in TLS 1.2 (TLS 1.3 encrypts the server's choice).
  local c=(-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -servername "$WWW" -alpn h2,http/1.1)
  cap_start tls12-ecdhe-rsa.pcap va
  s_server 443 "${WWW_ID[@]}" -alpn h2
  s_client "$B4:443" "${c[@]}" -sess_out "$WORK/ticket.sess"
  s_client "$B4:443" "${c[@]}" -sess_in "$WORK/ticket.sess"
  s_client "$B4:443" "${c[@]}" -no_ticket -sess_out "$WORK/id.sess"
  s_client "$B4:443" "${c[@]}" -no_ticket -sess_in "$WORK/id.sess"
  srv_stop
  cap_stop 'tls.handshake.type == 2'
  grep -q 'Reused' "$LOG/client.$((CLI_N - 2)).log" || die "ticket resumption did not happen"
  grep -q 'Reused' "$LOG/client.$CLI_N.log" || die "session-id resumption did not happen"
}

cap_tls12_mtls() {
  cap_start tls12-mtls.pcap va
  # Client certificate required and sent.
  s_server 443 "${WWW_ID[@]}" -tls1_2 -Verify 1 -CAfile "$PKI/ca.pem"
  s_client "$B4:443" -tls1_2 -servername "$WWW" -cert "$PKI/client.pem" -key "$PKI/client.key"
  srv_stop
  # Client certificate requested, none sent.
  s_server 443 "${WWW_ID[@]}" -tls1_2 -verify 1 -CAfile "$PKI/ca.pem"
  s_client "$B4:443" -tls1_2 -servername "$WWW"
  srv_stop
  cap_stop 'tls.handshake.type == 13'
}

cap_legacy() { # FILE FLAG
  cap_start "$1" va
  s_server 443 "${WWW_ID[@]}" "$2" -cipher 'DEFAULT:@SECLEVEL=0'
  s_client "$B4:443" "$2" -cipher 'DEFAULT:@SECLEVEL=0' -servername "$WWW"
  srv_stop
  cap_stop 'tls.handshake.type == 2'
}

cap_tls12_rsa_kx() {
  cap_start tls12-rsa-kx.pcap va
  s_server 443 "${WWW_ID[@]}"
  s_client "$B4:443" -tls1_2 -cipher AES256-GCM-SHA384 -servername "$WWW"
  srv_stop
  cap_stop 'tls.handshake.ciphersuite == 0x009d'
}

cap_tls12_dhe() { # FILE DHPARAM
  cap_start "$1" va
  s_server 443 "${WWW_ID[@]}" -dhparam "$2" -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'
  s_client "$B4:443" -tls1_2 -cipher 'DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0' -servername "$WWW"
  srv_stop
  cap_stop 'tls.handshake.ciphersuite == 0x009e'
}

gnutls_pair() { # FILE PRIORITY CHECK
  cap_start "$1" va
  srv_start 443 t -- gnutls-serv -p 443 --echo --disable-client-cert --x509certfile "$PKI/www.pem" \
    --x509keyfile "$PKI/www.key" --priority "$2"
  client gnutls-cli -p 443 --sni-hostname "$WWW" --insecure --priority "$2" "$B4"
  srv_stop
  cap_stop "$3"
}

cap_gnutls() {
  gnutls_pair tls12-3des-gnutls.pcap \
    'NONE:+VERS-TLS1.2:+3DES-CBC:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL' \
    'tls.handshake.ciphersuite == 0x000a'
  gnutls_pair tls-rc4-gnutls.pcap \
    'NONE:+VERS-TLS1.2:+ARCFOUR-128:+RSA:+SHA1:+COMP-NULL:+SIGN-ALL' \
    'tls.handshake.ciphersuite == 0x0005'
  gnutls_pair tls-null-gnutls.pcap \
    'NONE:+VERS-TLS1.2:+NULL:+RSA:+SHA256:+COMP-NULL:+SIGN-ALL' \
    'tls.handshake.ciphersuite == 0x003b'
}

cert_capture() { # FILE SNI CHECK SERVER_ARGS... -- CLIENT_ARGS...
  local file=$1 sni=$2 check=$3
  shift 3
  local srv=() cli=()
  while [[ $# -gt 0 && $1 != -- ]]; do srv+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  cli=("$@")
  cap_start "$file" va
  s_server 443 "${srv[@]}"
  s_client "$B4:443" -tls1_2 -servername "$sni" "${cli[@]}"
  srv_stop
  cap_stop "$check"
}

cap_certs() {
  local chain=(-cert_chain "$PKI/ca.pem")
  cert_capture cert-expired.pcap expired.intransit.test 'tls.handshake.type == 11' \
    -cert "$PKI/expired.pem" -key "$PKI/expired.key" "${chain[@]}"
  cert_capture cert-not-yet-valid.pcap future.intransit.test 'tls.handshake.type == 11' \
    -cert "$PKI/future.pem" -key "$PKI/future.key" "${chain[@]}"
  cert_capture cert-selfsigned-sha1-rsa1024.pcap legacy.intransit.test 'tls.handshake.type == 11' \
    -cert "$PKI/legacy.pem" -key "$PKI/legacy.key" -cipher 'DEFAULT:@SECLEVEL=0' \
    -- -cipher 'DEFAULT:@SECLEVEL=0'
  cert_capture cert-name-mismatch.pcap other.intransit.test 'tls.handshake.type == 11' \
    -cert "$PKI/other.pem" -key "$PKI/other.key" "${chain[@]}"
  cert_capture cert-ec-p256.pcap ec.intransit.test 'tls.handshake.ciphersuite == 0xc02b' \
    -cert "$PKI/ec.pem" -key "$PKI/ec.key" "${chain[@]}" \
    -- -cipher ECDHE-ECDSA-AES128-GCM-SHA256
  cert_capture cert-long-validity.pcap long.intransit.test 'tls.handshake.type == 11' \
    -cert "$PKI/long.pem" -key "$PKI/long.key" "${chain[@]}"
}

cap_handshake_failure() {
  cap_start tls-handshake-failure.pcap va
  s_server 443 "${WWW_ID[@]}" -cipher ECDHE-RSA-AES256-GCM-SHA384
  s_client "$B4:443" -tls1_2 -cipher AES128-SHA -servername "$WWW"
  srv_stop
  cap_stop 'tls.alert_message.desc == 40'
}

cap_no_sni() {
  cap_start tls-no-sni.pcap va
  s_server 443 "${WWW_ID[@]}"
  s_client "$B4:443" -noservername
  srv_stop
  cap_stop 'tls.handshake.type == 2'
}

cap_curl_https() {
  cap_start curl-https.pcap va
  srv_start 443 t -- openssl s_server -accept 443 -www "${WWW_ID[@]}"
  client curl -sS -k -o /dev/null --resolve "$WWW:443:$B4" "https://$WWW/"
  client curl -sS -k -o /dev/null --resolve "$WWW:443:[$B6]" "https://$WWW/"
  srv_stop
  cap_stop 'ipv6 && tls.handshake.type == 2'
}

http_server() { # PORT
  srv_start "$1" t -- python3 "$GEN/http_server.py" "$1"
}

cap_http() {
  cap_start http-cleartext.pcap va
  http_server 80
  client curl -sS -o /dev/null --resolve "$WWW:80:$B4" "http://$WWW/index.html"
  client curl -sS -o /dev/null --resolve "$WWW:80:$B4" -u "user:$SECRET" \
    --data-urlencode "username=user" --data-urlencode "password=$SECRET" "http://$WWW/login"
  srv_stop
  cap_stop 'http.request.method == "POST"'
  grep -q "$SECRET" "$OUT/http-cleartext.pcap" || die "secret not in http-cleartext.pcap"

  cap_start http-on-443.pcap va
  http_server 443
  client curl -sS -o /dev/null --resolve "$WWW:443:$B4" "http://$WWW:443/"
  srv_stop
  cap_stop 'tcp.port == 443 && http.request' -d tcp.port==443,http
}

cap_tls_on_8080() {
  cap_start tls-on-8080.pcap va
  s_server 8080 "${WWW_ID[@]}"
  s_client "$B4:8080" -servername "$WWW"
  srv_stop
  cap_stop 'tcp.port == 8080 && tls.handshake.type == 2' -d tcp.port==8080,tls
}

cap_ftp() {
  cap_start ftp-cleartext.pcap va
  srv_start 21 t -- python3 "$GEN/ftp_server.py" 21
  client curl -sS --resolve "ftp.intransit.test:21:$B4" "ftp://ftp.intransit.test/" --user "alice:$SECRET"
  srv_stop
  cap_stop 'ftp.request.command == "PASS"'
  grep -q "$SECRET" "$OUT/ftp-cleartext.pcap" || die "secret not in ftp-cleartext.pcap"
}

cap_dtls() {
  cap_start dtls12-openssl.pcap va
  srv_start 4433 u -- openssl s_server -dtls1_2 -accept 4433 "${WWW_ID[@]}"
  s_client "$B4:4433" -dtls1_2 -servername "$WWW"
  srv_stop
  cap_stop 'dtls.handshake.type == 2'
}

cap_tls13_extras() {
  # HelloRetryRequest: the client's first key share (X25519) is not one the
  # server accepts, so it asks again for P-256.
  cap_start tls13-hrr.pcap va
  s_server 443 "${WWW_ID[@]}" -groups P-256
  s_client "$B4:443" -tls1_3 -servername "$WWW" -groups X25519:P-256
  srv_stop
  cap_stop 'tls.handshake.type == 2'

  # TLS 1.3 PSK resumption with a ticket from the first connection.
  cap_start tls13-resumption.pcap va
  s_server 443 "${WWW_ID[@]}"
  s_client "$B4:443" -tls1_3 -servername "$WWW" -sess_out "$WORK/tls13.sess"
  s_client "$B4:443" -tls1_3 -servername "$WWW" -sess_in "$WORK/tls13.sess"
  srv_stop
  cap_stop 'tls.handshake.extensions.psk.identity.selected'
  grep -q 'Reused' "$LOG/client.$CLI_N.log" || die "TLS 1.3 resumption did not happen"
}

# One TLS 1.3 connection (SNI www.intransit.test, ALPN h2) to SERVER_IP.
tls13_exchange() {
  s_server 443 "${WWW_ID[@]}" -alpn h2
  s_client "$1:443" -tls1_3 -servername "$WWW" -alpn h2
  srv_stop
}

cap_link_types() {
  cap_start tls13-sll.pcap any -y LINUX_SLL
  tls13_exchange "$B4"
  cap_stop 'sll && tls.handshake.type == 2'

  cap_start tls13-sll2.pcap any -y LINUX_SLL2
  tls13_exchange "$B4"
  cap_stop 'tls.handshake.type == 2'

  cap_start tls13-nanosec.pcap va --time-stamp-precision=nano
  tls13_exchange "$B4"
  cap_stop 'tls.handshake.type == 2'

  cap_start_dumpcap tls13.pcapng va
  tls13_exchange "$B4"
  cap_stop 'tls.handshake.type == 2'
}

cap_tunnels() {
  setup_vxlan
  cap_start tls13-vxlan.pcap va
  tls13_exchange 10.98.0.2
  cap_stop 'vxlan.vni == 4242 && tls.handshake.type == 2'

  setup_geneve
  cap_start tls13-geneve.pcap va
  tls13_exchange 10.96.0.2
  cap_stop 'geneve.vni == 4243 && tls.handshake.type == 2'

  setup_vlan
  cap_start tls13-vlan.pcap va
  tls13_exchange 10.97.0.2
  cap_stop 'vlan.id == 100 && tls.handshake.type == 2'

  setup_gre
  cap_start tls13-gre.pcap va
  tls13_exchange 10.95.0.2
  cap_stop 'gre && tls.handshake.type == 2'

  cap_start tls13-rawip.pcap gre1
  tls13_exchange 10.95.0.2
  cap_stop 'tls.handshake.type == 2'
  relay_stop_all
}

# name -> function; the order is the generation order.
CAPTURES=(
  tls13-openssl:cap_tls13_openssl
  tls12-ecdhe-rsa:cap_tls12_ecdhe_rsa
  tls12-mtls:cap_tls12_mtls
  tls10-legacy:"cap_legacy tls10-legacy.pcap -tls1"
  tls11-legacy:"cap_legacy tls11-legacy.pcap -tls1_1"
  tls12-rsa-kx:cap_tls12_rsa_kx
  tls12-dhe-2048:"cap_tls12_dhe tls12-dhe-2048.pcap \$PKI/dh2048.pem"
  tls12-dhe-1024:"cap_tls12_dhe tls12-dhe-1024.pcap \$PKI/dh1024.pem"
  gnutls:cap_gnutls
  certs:cap_certs
  tls-handshake-failure:cap_handshake_failure
  tls-no-sni:cap_no_sni
  curl-https:cap_curl_https
  http:cap_http
  tls-on-8080:cap_tls_on_8080
  ftp-cleartext:cap_ftp
  dtls12-openssl:cap_dtls
  tls13-extras:cap_tls13_extras
  link-types:cap_link_types
  tunnels:cap_tunnels
  starttls:run_loopback_script starttls.sh
  dtls-extra:run_loopback_script dtls.sh
  quic:run_loopback_script quic.sh
  postgresql:run_loopback_script db-tls.sh
)

# Captures made on loopback by their own scripts (real peers: openssl s_client
# -starttls, python ssl servers, ngtcp2, PostgreSQL); each cleans up after itself.
run_loopback_script() {
  env -u OUT -u WORK bash "$GEN/$1" || log "$1 failed: its captures were not refreshed"
}

main() {
  local wanted=("$@") entry name fn
  mkfifo "$WORK/server-stdin"
  SERVER_STDIN=$WORK/server-stdin
  # Hold the FIFO open read-write so opening it for reading never blocks and
  # never reaches end-of-file.
  exec 9<>"$SERVER_STDIN"
  make_pki
  set_identities
  setup_network
  for entry in "${CAPTURES[@]}"; do
    name=${entry%%:*}
    fn=${entry#*:}
    if [[ ${#wanted[@]} -gt 0 ]]; then
      local w hit=0
      for w in "${wanted[@]}"; do [[ $w == "$name" ]] && hit=1; done
      [[ $hit -eq 1 ]] || continue
    fi
    log "== $name"
    eval "$fn"
  done
  if command -v node >/dev/null; then
    node "$GEN/tshark-facts.mjs" "$OUT"
  else
    log "node not found: tshark-facts.json not refreshed"
  fi
}

main "$@"
