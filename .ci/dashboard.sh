#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium driven by npm's
# playwright-core (pinned by .ci/dashboard/package-lock.json) against a
# gateway on a free 127.0.0.1 port, after calls made through MCP. Writes
# the screenshots docs/dashboard-desktop.png and docs/dashboard-phone.png.
# The page follows the gateway by server-sent events; a policy sets budgets,
# which the page must show as get_stats does.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh  # $root, $work, pids and their cleanup

echo "== dashboard: install Debian's chromium"
if ! [ -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
/usr/bin/chromium --version

echo "== dashboard: npm ci (playwright-core, no browser download)"
(cd .ci/dashboard && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --prefer-offline)

echo "== dashboard: build and start a gateway (simulated Bedrock, http transport)"
CGO_ENABLED=0 go build -trimpath -o "$root/bin/llm-gateway" ./cmd/llm-gateway
gw="$root/bin/llm-gateway"
admin=dashboard-admin-key-0123456789
agent=dashboard-agent-key-0123456789
# Budgets for the agent, a model and the whole gateway: the page shows
# spend against them, as get_stats' limits section gives them.
cat >"$work/policy.yaml" <<'EOF'
defaults:
  budget: { daily_usd: 5, monthly_usd: 100 }
models:
  nova-pro: { budget: { daily_usd: 2 } }
global:
  budget: { daily_usd: 50, monthly_usd: 1000 }
EOF
STORE_URL="sqlite:$work/gateway.db" BEDROCK_SIMULATOR=true LOG_FORMAT=json API_KEYS="ci-agent:$agent" ADMIN_KEYS="ops:$admin" \
  POLICY_FILE="$work/policy.yaml" "$gw" --transport http --addr 127.0.0.1:0 2>"$work/gateway.log" &
pids+=($!)
url=""
for _ in $(seq 1 300); do
  url=$(jq -r 'select(.msg=="gateway listening") | .url' "$work/gateway.log" 2>/dev/null | head -1)
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "$url" ] || { echo "the gateway did not start:"; cat "$work/gateway.log"; exit 1; }
base=${url%/mcp}

echo "== dashboard: calls through MCP"
for q in "capital of France" "capital of Peru" "capital of France" "a haiku about rain"; do
  "$gw" call generate --url "$url" --key "$agent" --arg model=nova-lite --prompt "$q" >/dev/null
done
"$gw" call generate --url "$url" --key "$agent" --arg model=nova-pro --prompt "summarise the news" >/dev/null
"$gw" call generate --url "$url" --key "$agent" --arg model=no-such-model --prompt "hi" >/dev/null 2>&1 || true

echo "== dashboard: headless chromium"
GW="$gw" BASE="$base" ADMIN="$admin" AGENT="$agent" OUT="$root/docs" node .ci/dashboard/check.mjs
