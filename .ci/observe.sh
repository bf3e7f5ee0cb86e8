#!/usr/bin/env bash
# Observability against real tools: Debian's Prometheus (promtool checks the
# exposition; a Prometheus server scrapes a running gateway and a PromQL
# query equals get_stats, budgets left included), and the Grafana dashboard
# names only metrics the gateway exports. Everything listens on 127.0.0.1, on free ports.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh  # $root, $work, pids and their cleanup

echo "== observe: install Debian's prometheus (promtool comes with it)"
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# Debian 12's package; a change of major version is a change to look at.
prometheus --version 2>&1 | head -1 | grep -q 'version 2\.' || { echo "unexpected prometheus: $(prometheus --version 2>&1 | head -1)"; exit 1; }

echo "== observe: build the gateway"
CGO_ENABLED=0 go build -trimpath -o "$root/bin/llm-gateway" ./cmd/llm-gateway
gw="$root/bin/llm-gateway"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# wait_log FILE MSG: the url field of the first JSON log line with msg MSG.
wait_log() {
  for _ in $(seq 1 300); do
    url=$(jq -r --arg m "$2" 'select(.msg==$m) | .url' "$1" 2>/dev/null | head -1)
    if [ -n "$url" ]; then echo "$url"; return 0; fi
    sleep 0.2
  done
  echo "never logged $2:" >&2; cat "$1" >&2; return 1
}

admin=observe-admin-key-0123456789
token=observe-scrape-token-0123456789
agent=observe-agent-key-0123456789

echo "== observe: start a gateway (simulated Bedrock, http transport, a policy with budgets)"
printf 'defaults:\n  budget: { daily_usd: 5, monthly_usd: 100 }\n' >"$work/policy.yaml"
STORE_URL="sqlite:$work/gateway.db" BEDROCK_SIMULATOR=true LOG_FORMAT=json API_KEYS="ci:$agent" ADMIN_KEYS="ops:$admin" METRICS_TOKEN="$token" \
  POLICY_FILE="$work/policy.yaml" "$gw" --transport http --addr 127.0.0.1:0 2>"$work/gateway.log" &
pids+=($!)
mcp_url=$(wait_log "$work/gateway.log" "gateway listening")
base=${mcp_url%/mcp}
hostport=${base#http://}

echo "== observe: calls through MCP"
for q in one two one three; do # "one" twice: a cache hit
  "$gw" call generate --url "$mcp_url" --key "$agent" --arg model=nova-lite --prompt "question $q" >/dev/null
done
"$gw" call generate --url "$mcp_url" --key "$agent" --arg model=no-such-model --prompt "hi" >/dev/null 2>&1 || true
"$gw" call get_stats --url "$mcp_url" --key "$agent" >"$work/stats.json"
want_requests=$(jq '.metrics.total_requests' "$work/stats.json")
want_cost=$(jq '.metrics.total_cost_usd' "$work/stats.json")
echo "get_stats: total_requests=$want_requests total_cost_usd=$want_cost"

echo "== observe: /metrics refuses an agent key"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $agent" "$base/metrics")
[ "$status" = 401 ] || { echo "GET /metrics with an agent key = $status, want 401"; exit 1; }

echo "== observe: promtool check metrics"
curl -sf -H "Authorization: Bearer $token" "$base/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt"

echo "== observe: the Grafana dashboard is valid JSON naming only exported metrics"
jq empty docs/grafana-dashboard.json
exported=$(grep -oE '^[a-zA-Z_:][a-zA-Z0-9_:]*' "$work/metrics.txt" | sed -E 's/_(bucket|sum|count)$//' | sort -u)
# Label names in by (…) and {…} are not metrics: drop those clauses first.
used=$(jq -r '.. | objects | select(has("expr")) | .expr' docs/grafana-dashboard.json |
  sed -E 's/(by|without) *\([^)]*\)//g; s/\{[^}]*\}//g' | grep -oE '\b(gen_ai|llm_gateway)_[a-zA-Z0-9_]*' | sed -E 's/_(bucket|sum|count)$//' | sort -u)
[ -n "$used" ] || { echo "the dashboard names no metric"; exit 1; }
missing=$(comm -23 <(echo "$used") <(echo "$exported"))
[ -z "$missing" ] || { echo "the dashboard names metrics the gateway does not export: $missing"; exit 1; }
echo "dashboard names $(echo "$used" | wc -l) metrics, all exported"

echo "== observe: a Prometheus server scrapes the gateway"
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: llm-gateway
    authorization:
      credentials: $token
    static_configs:
      - targets: ['$hostport']
EOF
promtool check config "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

# query EXPR: the value of a PromQL instant query, or empty.
query() {
  curl -sf --get --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" 2>/dev/null |
    jq -r '.data.result[0].value[1] // empty' 2>/dev/null || true
}
got=""
for _ in $(seq 1 150); do # up to 30 s for the first scrapes
  got=$(query 'sum(llm_gateway_requests_total{job="llm-gateway"})')
  [ "$got" = "$want_requests" ] && break
  sleep 0.2
done
[ "$got" = "$want_requests" ] || { echo "PromQL sum(llm_gateway_requests_total) = '$got', get_stats total_requests = $want_requests"; cat "$work/prometheus.log"; exit 1; }
echo "PromQL sum(llm_gateway_requests_total) = $got = get_stats total_requests"
got_cost=$(query 'sum(llm_gateway_cost_usd_total{job="llm-gateway"})')
python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-b)<=1e-12 and b>0 else 1)" "$got_cost" "$want_cost" ||
  { echo "PromQL sum(llm_gateway_cost_usd_total) = $got_cost, get_stats total_cost_usd = $want_cost"; exit 1; }
echo "PromQL sum(llm_gateway_cost_usd_total) = $got_cost = get_stats total_cost_usd"
hits=$(query 'sum(llm_gateway_cache_requests_total{result="hit"})')
[ "$hits" = 1 ] || { echo "PromQL cache hits = $hits, want 1"; exit 1; }
for period in budget.daily_usd budget.monthly_usd; do
  want_left=$(jq --arg p "$period" '.limits.agents.ci[] | select(.limit==$p) | .remaining' "$work/stats.json")
  got_left=$(query "llm_gateway_budget_remaining_usd{agent=\"ci\",period=\"$period\"}")
  python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(a-b)<=1e-12 and b>0 else 1)" "${got_left:-nan}" "${want_left:-nan}" ||
    { echo "PromQL llm_gateway_budget_remaining_usd{agent=ci,period=$period} = '$got_left', get_stats limits remaining = '$want_left'"; exit 1; }
  echo "PromQL llm_gateway_budget_remaining_usd{agent=\"ci\",period=\"$period\"} = $got_left = get_stats limits remaining"
done
echo "observe: prometheus checks passed"
