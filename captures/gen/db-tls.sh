#!/usr/bin/env bash
# Captures PostgreSQL sessions between a real server and psql on loopback:
#   postgresql-ssl-require.pcap   sslmode=require: SSLRequest, 'S', TLS 1.3 in both
#                                 directions, SCRAM inside the tunnel
#   postgresql-ssl-disable.pcap   sslmode=disable: cleartext StartupMessage, then
#                                 AuthenticationCleartextPassword ("password" method in
#                                 pg_hba.conf for non-TLS connections) and the password
#                                 in a PasswordMessage: a cleartext credential
#
#   sudo captures/gen/db-tls.sh            # writes into captures/
#   OUT=/tmp/x sudo captures/gen/db-tls.sh
#
# Needs root (tcpdump on lo, running the server as the postgres user), the Debian
# PostgreSQL server binaries (postgresql-NN: initdb, pg_ctl), psql and openssl.
# A throwaway cluster (temporary directory, port 5433, 127.0.0.1 only, self-signed
# EC P-256 certificate CN=db.intransit.test) is made, used and removed; the server
# and tcpdump are stopped by pid on exit, also after a failure.
set -euo pipefail

[[ $EUID -eq 0 ]] || { echo "db-tls.sh: must run as root" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$(dirname "$HERE")}
PORT=5433
ROLE=auditor
SECRET=S3cr3t-Never-Shown
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || { echo "db-tls.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/intransit-db.XXXXXX)
DATA=$WORK/data
CAP_PID=
STARTED=

cleanup() {
  if [[ -n $CAP_PID ]]; then kill -INT "$CAP_PID" 2>/dev/null || true; wait "$CAP_PID" 2>/dev/null || true; fi
  if [[ -n $STARTED && -f $DATA/postmaster.pid ]]; then
    local pid
    pid=$(head -1 "$DATA/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || true # fast shutdown
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

as_postgres() { runuser -u postgres -- "$@"; }

chown postgres: "$WORK"
chmod 700 "$WORK"
as_postgres "$PG_BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=reject -E UTF8 --locale=C >"$WORK/initdb.log"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=db.intransit.test -addext subjectAltName=DNS:db.intransit.test \
  -keyout "$DATA/server.key" -out "$DATA/server.crt" 2>/dev/null
chown postgres: "$DATA/server.key" "$DATA/server.crt"
chmod 600 "$DATA/server.key"

cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$WORK'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
EOF
cat >"$DATA/pg_hba.conf" <<EOF
local all all trust
hostssl all $ROLE 127.0.0.1/32 scram-sha-256
hostnossl all $ROLE 127.0.0.1/32 password
EOF

as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -l "$WORK/server.log" -w start >/dev/null
STARTED=1
as_postgres psql -h "$WORK" -p "$PORT" -U postgres -d postgres -qXc "CREATE ROLE $ROLE LOGIN PASSWORD '$SECRET'" >/dev/null

# one psql session captured into $OUT/$1 with the connection options $2
capture() {
  local file=$OUT/$1 conninfo=$2
  tcpdump -i lo --immediate-mode -U -s 0 -w "$file" "tcp port $PORT" 2>"$WORK/tcpdump.log" &
  CAP_PID=$!
  for _ in $(seq 50); do grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
  PGPASSWORD=$SECRET PGAPPNAME=intransit-sample psql "host=127.0.0.1 port=$PORT user=$ROLE dbname=postgres gssencmode=disable $conninfo" \
    -qXAtc "select 'hello from the intransit sample client', version()" >/dev/null
  sleep 1
  kill -INT "$CAP_PID"
  wait "$CAP_PID" || true
  CAP_PID=
  chown "$(stat -c %u:%g "$OUT")" "$file" # tcpdump writes it as its own user
  echo "$1: $(stat -c %s "$file") bytes"
}

capture postgresql-ssl-require.pcap "sslmode=require"
capture postgresql-ssl-disable.pcap "sslmode=disable"
