#!/usr/bin/env bash
# Regenerates the DTLS sample captures: real OpenSSL 3 `s_server` / `s_client` peers on the
# loopback interface (127.0.0.1, UDP), a self-signed certificate made in a temporary directory.
#   captures/dtls12-mtu-openssl.pcap  two DTLS 1.2 connections, SNI dtls.intransit.test, one line
#       each way, then the client quits (close_notify both ways). Both start with s_server's
#       cookie exchange (HelloVerifyRequest, the second ClientHello carries the cookie):
#       (0) OpenSSL defaults: with no path MTU to query on lo it fragments the Certificate and
#           ServerKeyExchange into ~200-byte handshake fragments;
#       (1) server with -listen (stateless DTLSv1_listen) and both peers at -mtu 400.
#   captures/dtls10-openssl.pcap  one DTLS 1.0 connection (`-dtls1`, SECLEVEL=0 both sides),
#       fragmented the same way as (0).
# (captures/generate.sh makes dtls12-openssl.pcap, one DTLS 1.2 connection between namespaces.)
#
#   sudo captures/gen/dtls.sh                 # writes both files into captures/
#   OUT_DIR=/tmp/x captures/gen/dtls.sh       # elsewhere; DTLS12_NAME / DTLS10_NAME rename them
#
# Needs root (tcpdump on lo), openssl 3, tcpdump. Cleans up its processes and temporary
# directory on exit, also after a failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT_DIR=${OUT_DIR:-$(dirname "$HERE")}
PORT=${PORT:-45433}
SNI=dtls.intransit.test
DTLS12_NAME=${DTLS12_NAME:-dtls12-mtu-openssl.pcap}
DTLS10_NAME=${DTLS10_NAME:-dtls10-openssl.pcap}
LINE='hello from the intransit sample client'
ANSWER='hello back from the intransit sample server'

for bin in openssl tcpdump timeout; do
  command -v "$bin" >/dev/null || { echo "dtls.sh: $bin not found (apt-get install openssl tcpdump coreutils)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/intransit-dtls.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
  -subj "/O=intransit test/CN=$SNI" -addext "subjectAltName=DNS:$SNI" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

# starts tcpdump on lo for the given UDP ports, writing $1; sets CAP_PID
cap_start() {
  local file=$1
  shift
  local filter="udp and (port $1" p
  shift
  for p in "$@"; do filter+=" or port $p"; done
  filter+=")"
  : >"$WORK/tcpdump.log"
  tcpdump -i lo -U -s 0 -w "$WORK/$file" "$filter" 2>"$WORK/tcpdump.log" &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  for _ in $(seq 50); do
    grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break
    sleep 0.1
  done
}

cap_stop() {
  local file=$1
  sleep 0.5
  kill "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
  cp "$WORK/$file" "$OUT_DIR/$file"
  echo "dtls.sh: wrote $OUT_DIR/$file ($(stat -c %s "$OUT_DIR/$file") bytes)" >&2
}

# waits (up to 10 s) until file $1 contains text $2
wait_for() {
  for _ in $(seq 100); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "dtls.sh: timed out waiting for '$2' in $1:" >&2
  cat "$WORK"/*.log >&2
  exit 1
}

# One connection to 127.0.0.1:$1: s_server with the options before "--", s_client with the
# ones after. (s_server cannot -rev over DTLS, so both peers read their stdin from a FIFO.)
# The client sends a line, the server answers with one, the client quits ("Q": close_notify).
exchange() {
  local port=$1 srv=() cli=()
  shift
  while [[ $# -gt 0 && $1 != -- ]]; do srv+=("$1"); shift; done
  shift
  cli=("$@")
  rm -f "$WORK/srv.in" "$WORK/cli.in"
  mkfifo "$WORK/srv.in" "$WORK/cli.in"
  # hold both FIFOs open read-write: opening never blocks, readers never see end-of-file
  exec 7<>"$WORK/srv.in" 8<>"$WORK/cli.in"
  openssl s_server -accept "127.0.0.1:$port" -cert "$WORK/cert.pem" -key "$WORK/key.pem" \
    -naccept 1 "${srv[@]}" <&7 >"$WORK/server-$port.log" 2>&1 &
  local spid=$!
  PIDS+=("$spid")
  wait_for "$WORK/server-$port.log" ACCEPT
  timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername "$SNI" "${cli[@]}" \
    <&8 >"$WORK/client-$port.log" 2>&1 &
  local cpid=$!
  PIDS+=("$cpid")
  wait_for "$WORK/client-$port.log" 'Verify return code'
  echo "$LINE" >&8
  wait_for "$WORK/server-$port.log" "$LINE"
  echo "$ANSWER" >&7
  wait_for "$WORK/client-$port.log" "$ANSWER"
  echo Q >&8
  wait "$cpid" 2>/dev/null || true
  sleep 0.3
  kill "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  exec 7>&- 8>&-
}

# ---- DTLS 1.2
P0=$PORT
P1=$((PORT + 1))
cap_start "$DTLS12_NAME" "$P0" "$P1"
exchange "$P0" -dtls1_2 -- -dtls1_2
exchange "$P1" -dtls1_2 -listen -mtu 400 -- -dtls1_2 -mtu 400
cap_stop "$DTLS12_NAME"

# ---- DTLS 1.0 (OpenSSL 3 allows it only at security level 0)
P2=$((PORT + 2))
cap_start "$DTLS10_NAME" "$P2"
exchange "$P2" -dtls1 -cipher 'DEFAULT:@SECLEVEL=0' -- -dtls1 -cipher 'DEFAULT:@SECLEVEL=0'
cap_stop "$DTLS10_NAME"
