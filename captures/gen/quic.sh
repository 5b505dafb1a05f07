#!/usr/bin/env bash
# Regenerates captures/quic-ngtcp2.pcap: real QUIC v1 connections between Debian's ngtcp2
# example peers (gtlsclient / gtlsserver, GnuTLS backend) on the loopback interface.
#   1. a plain handshake and one HTTP/3 GET (to 127.0.0.1: gtlsclient's GnuTLS backend then
#      sends SNI "localhost" whatever --sni says); the server greases the QUIC bit (RFC 9287);
#   2. the same against a server that validates addresses (-V): Retry, then the client's
#      second Initial under the Retry's connection ID.
#
#   sudo captures/gen/quic.sh            # writes captures/quic-ngtcp2.pcap
#   OUT=/tmp/x.pcap captures/gen/quic.sh
#
# Needs root (tcpdump on lo), ngtcp2-client, ngtcp2-server, openssl, tcpdump.
# The certificate is self-signed, made in a temporary directory on every run.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(dirname "$HERE")/quic-ngtcp2.pcap}
PORT=${PORT:-44433}
PORT_RETRY=$((PORT + 1))
SNI=localhost

for bin in gtlsclient gtlsserver openssl tcpdump; do
  command -v "$bin" >/dev/null || { echo "quic.sh: $bin not found (apt-get install ngtcp2-client ngtcp2-server openssl tcpdump)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/intransit-quic.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj "/CN=$SNI" -addext "subjectAltName=DNS:$SNI" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/htdocs"
echo 'hello over QUIC from the intransit sample server' >"$WORK/htdocs/index.html"

tcpdump -i lo -U -s 0 -w "$WORK/cap.pcap" "udp and (port $PORT or port $PORT_RETRY)" 2>"$WORK/tcpdump.log" &
PIDS+=($!)
gtlsserver -q -d "$WORK/htdocs" 127.0.0.1 "$PORT" "$WORK/key.pem" "$WORK/cert.pem" >"$WORK/server.log" 2>&1 &
PIDS+=($!)
gtlsserver -q -V -d "$WORK/htdocs" 127.0.0.1 "$PORT_RETRY" "$WORK/key.pem" "$WORK/cert.pem" >"$WORK/server-retry.log" 2>&1 &
PIDS+=($!)

# wait until tcpdump listens and the servers are bound
for _ in $(seq 50); do
  grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
sleep 0.5

for port in "$PORT" "$PORT_RETRY"; do
  timeout 20 gtlsclient -q --exit-on-all-streams-close --timeout=5s \
    127.0.0.1 "$port" "https://$SNI:$port/index.html" >"$WORK/client-$port.log" 2>&1 ||
    { echo "quic.sh: client to port $port failed:" >&2; cat "$WORK/client-$port.log" >&2; exit 1; }
  sleep 0.3
done

sleep 0.5
kill "${PIDS[0]}" 2>/dev/null || true
wait "${PIDS[0]}" 2>/dev/null || true
cp "$WORK/cap.pcap" "$OUT"
echo "quic.sh: wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
