#!/usr/bin/env bash
# The real servers the tests talk to: PostgreSQL (127.0.0.1:5432, trust
# auth, database test) and Redis (127.0.0.1:6379). This kind of machine
# starts both before a session; CI starts whichever is down, with the
# machine's own commands, and fails when it cannot.
set -euo pipefail

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== services: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "== services: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
for _ in $(seq 1 50); do
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q; then
    echo "services: redis and postgresql answer"
    exit 0
  fi
  sleep 0.2
done
echo "services: redis or postgresql did not come up"; exit 1
