#!/usr/bin/env bash
# Regenerates the STARTTLS sample captures, on loopback, from real clients talking to
# the minimal protocol servers of starttls_server.py (python3 ssl):
#
#   smtp-starttls.pcap               openssl s_client -starttls smtp  (EHLO, STARTTLS, TLS, QUIT)
#   imap-starttls.pcap               openssl s_client -starttls imap  (CAPABILITY, STARTTLS, TLS, LOGOUT)
#   pop3-stls.pcap                   openssl s_client -starttls pop3  (STLS, TLS, QUIT)
#   ftp-auth-tls.pcap                openssl s_client -starttls ftp   (FEAT, AUTH TLS, TLS, QUIT)
#   smtp-no-starttls-auth-plain.pcap python smtplib: the server offers STARTTLS, the client
#                                    ignores it and logs in with AUTH PLAIN in cleartext
#                                    (user alice, password S3cr3t-Never-Shown), sends a message
#
#   sudo captures/gen/starttls.sh            # all five, into captures/
#   sudo captures/gen/starttls.sh smtp-starttls pop3-stls   # some of them
#   OUT=/tmp/x captures/gen/starttls.sh      # elsewhere
#
# Needs root (tcpdump on lo), openssl 3, python3, tcpdump. Every run makes a new
# self-signed P-256 certificate (CN = the protocol's host name), so keys, randoms,
# ports' ephemeral sides and timestamps change from run to run. Servers, clients
# and tcpdump are stopped by pid; the temporary directory is removed on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(dirname "$HERE")}
SECRET=S3cr3t-Never-Shown
WORK=$(mktemp -d /tmp/intransit-starttls.XXXXXX)
PIDS=()

log() { printf '[starttls] %s\n' "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# Waits until FILE contains TEXT (a process announcing it is ready), at most ~10 s.
wait_for() {
  local file=$1 text=$2 i
  for i in $(seq 100); do
    grep -q "$text" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  log "timeout waiting for '$text' in $file"
  return 1
}

make_cert() {
  local name=$1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/O=intransit test/CN=$name" -addext "subjectAltName=DNS:$name" \
    -keyout "$WORK/$name.key" -out "$WORK/$name.crt" 2>/dev/null
}

# capture NAME PROTOCOL PORT HOST CLIENT-COMMAND...
capture() {
  local name=$1 proto=$2 port=$3 host=$4
  shift 4
  local pcap=$OUT/$name.pcap
  make_cert "$host"
  tcpdump -i lo --immediate-mode -U -s 0 -w "$pcap" "tcp port $port" 2>"$WORK/$name.tcpdump" &
  local cap=$!
  PIDS+=("$cap")
  wait_for "$WORK/$name.tcpdump" 'listening on'
  sleep 0.5 # "listening" is printed a little before the filter sees packets
  python3 "$HERE/starttls_server.py" "$proto" "$port" "$WORK/$host.crt" "$WORK/$host.key" >"$WORK/$name.server" 2>&1 &
  local srv=$!
  PIDS+=("$srv")
  wait_for "$WORK/$name.server" listening
  "$@" >"$WORK/$name.client" 2>&1 || { log "$name: client failed"; cat "$WORK/$name.client" >&2; return 1; }
  wait "$srv" || { log "$name: server failed"; cat "$WORK/$name.server" >&2; return 1; }
  forget_pid "$srv"
  sleep 0.5 # let the last segments (FIN/ACK) reach the capture
  kill -INT "$cap"
  wait "$cap" || true
  forget_pid "$cap"
  grep -q '^[1-9][0-9]* packets captured' "$WORK/$name.tcpdump" || { log "$name: nothing captured"; cat "$WORK/$name.tcpdump" >&2; return 1; }
  log "$name.pcap: $(stat -c %s "$pcap") bytes"
}

# openssl s_client with a STARTTLS mode: sends the given cleartext-after-TLS line from
# stdin, waits for the server to close (-quiet implies -ign_eof)
s_client() {
  local mode=$1 port=$2 host=$3 line=$4
  printf '%s\r\n' "$line" | openssl s_client -quiet -starttls "$mode" -connect "127.0.0.1:$port" -servername "$host"
}

smtp_auth_plain() {
  python3 - "$1" "$SECRET" <<'PY'
import smtplib, sys
port, secret = int(sys.argv[1]), sys.argv[2]
s = smtplib.SMTP('127.0.0.1', port, local_hostname='client.intransit.test')
s.ehlo()
assert s.has_extn('starttls')  # offered, and deliberately not used
s.login('alice', secret)  # AUTH PLAIN with an initial response, in cleartext
s.sendmail('alice@intransit.test', ['bob@intransit.test'],
           'From: alice@intransit.test\r\nTo: bob@intransit.test\r\nSubject: sample\r\n\r\nhello from the intransit sample client\r\n')
s.quit()
PY
}

ALL=(smtp-starttls imap-starttls pop3-stls ftp-auth-tls smtp-no-starttls-auth-plain)
WANT=("$@")
[[ ${#WANT[@]} -gt 0 ]] || WANT=("${ALL[@]}")

for name in "${WANT[@]}"; do
  case $name in
    smtp-starttls) capture "$name" smtp 10025 mail.intransit.test s_client smtp 10025 mail.intransit.test QUIT ;;
    imap-starttls) capture "$name" imap 10143 imap.intransit.test s_client imap 10143 imap.intransit.test 'a1 LOGOUT' ;;
    pop3-stls) capture "$name" pop3 10110 pop.intransit.test s_client pop3 10110 pop.intransit.test QUIT ;;
    ftp-auth-tls) capture "$name" ftp 10021 ftp.intransit.test s_client ftp 10021 ftp.intransit.test QUIT ;;
    smtp-no-starttls-auth-plain) capture "$name" smtp 10587 mail.intransit.test smtp_auth_plain 10587 ;;
    *) log "unknown capture $name (known: ${ALL[*]})"; exit 2 ;;
  esac
done
