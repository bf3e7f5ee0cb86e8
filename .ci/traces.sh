#!/usr/bin/env bash
# OpenTelemetry traces against a real OTLP receiver: Jaeger, built from the
# Go module proxy at the version pinned in .ci/jaeger/go.mod (cached between
# runs), on free 127.0.0.1 ports with in-memory storage. Gateways send it
# the spans of MCP calls, one over OTLP/HTTP and one over OTLP/gRPC;
# Jaeger's HTTP API must show the tool call span, continuing the caller's
# traceparent, with each Bedrock attempt as its child (none for a cache
# hit), the GenAI, MCP and gateway attributes on them, and no prompt text.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/lib.sh  # $root, $work, pids and their cleanup

cache="${XDG_CACHE_HOME:-$HOME/.cache}/llm-gateway-ci"
version=$(awk '$1=="github.com/jaegertracing/jaeger" {print $2}' .ci/jaeger/go.mod)
jaeger="$cache/jaeger-$version"
if [ ! -x "$jaeger" ]; then
  echo "== traces: build jaeger $version (once; cached in $cache)"
  mkdir -p "$cache"
  # About 13 CPU-minutes of compiling, go-elasticsearch's generated
  # packages the longest (see .ci/jaeger/README.md for what was measured).
  TIMEFORMAT="built jaeger: %Rs wall, %Us user, %Ss system"
  time (cd .ci/jaeger && GOFLAGS=-mod=readonly go build -trimpath -o "$jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv "$jaeger.tmp" "$jaeger"
fi

echo "== traces: build the gateway"
CGO_ENABLED=0 go build -trimpath -o "$root/bin/llm-gateway" ./cmd/llm-gateway
gw="$root/bin/llm-gateway"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
otlp=$(free_port); otlp_grpc=$(free_port); query=$(free_port); qgrpc=$(free_port); health=$(free_port)

cat >"$work/jaeger.yaml" <<EOF
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$query
    grpc:
      endpoint: 127.0.0.1:$qgrpc
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:$health
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$otlp
      grpc:
        endpoint: 127.0.0.1:$otlp_grpc
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF

echo "== traces: start jaeger (OTLP/HTTP on 127.0.0.1:$otlp, OTLP/gRPC on 127.0.0.1:$otlp_grpc, query API on 127.0.0.1:$query)"
"$jaeger" --config "$work/jaeger.yaml" >"$work/jaeger.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$query/api/services" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf "http://127.0.0.1:$query/api/services" >/dev/null || { echo "jaeger did not come up:"; cat "$work/jaeger.log"; exit 1; }

fail=0
expect() { # expect WHAT GOT WANT
  if [ "$2" != "$3" ]; then echo "FAIL $1 = '$2', want '$3'"; fail=1; else echo "ok   $1 = $2"; fi
}

# traced_call PROTOCOL ENDPOINT TRACE_ID PARENT_ID OUT ARGS…: one MCP call
# through a stdio gateway that sends its spans to Jaeger over PROTOCOL,
# continuing the caller's trace; then Jaeger's API's view of that trace.
# MIN_SPANS (default 2) is how many spans to wait for; STORE_URL (default
# memory:) is the gateway's store.
traced_call() {
  local proto=$1 endpoint=$2 trace_id=$3 parent_id=$4 out=$5
  shift 5
  STORE_URL=${STORE_URL:-memory:} AGENT_NAME=trace-agent OTEL_EXPORTER_OTLP_ENDPOINT="$endpoint" OTEL_EXPORTER_OTLP_PROTOCOL="$proto" \
    OTEL_SERVICE_NAME=llm-gateway-ci OTEL_BSP_SCHEDULE_DELAY=100 \
    "$gw" call generate --simulate --meta "{\"traceparent\":\"00-$trace_id-$parent_id-01\"}" "$@" >"$out.answer.json"
  for _ in $(seq 1 150); do
    if curl -sf "http://127.0.0.1:$query/api/traces/$trace_id" >"$out.trace.json" 2>/dev/null &&
      [ "$(jq '[.data[0].spans[]] | length' "$out.trace.json" 2>/dev/null)" -ge "${MIN_SPANS:-2}" ]; then
      return 0
    fi
    sleep 0.2
  done
  echo "FAIL trace $trace_id ($proto) not found in jaeger:"; cat "$out.trace.json" 2>/dev/null; cat "$work/jaeger.log"; exit 1
}

# span TRACE FILTER: the spans (JSON lines) of a trace that jq FILTER selects.
spans() { jq -c ".data[0].spans[] | select($2)" "$1"; }
# tag SPAN_JSON KEY: a span's attribute value.
tag() { jq -r --arg k "$2" '.tags[] | select(.key==$k) | .value | if type=="string" then . else tojson end' <<<"$1" | head -1; }

# check_tool_span TRACE PARENT_ID: the MCP tool call's server span, a child
# of the caller's span; prints it.
tool_span() {
  local s
  s=$(spans "$1" '.operationName=="tools/call generate"')
  [ "$(wc -l <<<"$s")" = 1 ] && [ -n "$s" ] || { echo "FAIL want one 'tools/call generate' span, got: $(jq -c '[.data[0].spans[].operationName]' "$1")" >&2; return 1; }
  echo "$s"
}

echo "== traces: a call over OTLP/HTTP (http/protobuf)"
trace_a=4bf92f3577b34da6a3ce929d0e0e4736; parent_a=00f067aa0ba902b7
# The store is a SQLite file, so that the same question later is a cache hit.
STORE_URL="sqlite:$work/gateway.db" traced_call http/protobuf "http://127.0.0.1:$otlp" "$trace_a" "$parent_a" "$work/a" --arg model=nova-lite --prompt "secret prompt text"
tool=$(tool_span "$work/a.trace.json") || exit 1
model=$(spans "$work/a.trace.json" '.operationName|startswith("chat ")')
[ "$(wc -l <<<"$model")" = 1 ] || { echo "FAIL want one 'chat {model}' span, got: $(jq -c '[.data[0].spans[].operationName]' "$work/a.trace.json")"; exit 1; }
model_id=$(jq -r '.model_id' "$work/a.answer.json")
expect "service.name" "$(jq -r '.data[0].processes[].serviceName' "$work/a.trace.json" | sort -u)" "llm-gateway-ci"
expect "tool span's parent (the caller's traceparent)" "$(jq -r '.references[0].spanID' <<<"$tool")" "$parent_a"
expect "tool span kind" "$(tag "$tool" span.kind)" "server"
expect "tool mcp.method.name" "$(tag "$tool" mcp.method.name)" "tools/call"
expect "tool gen_ai.operation.name" "$(tag "$tool" gen_ai.operation.name)" "execute_tool"
expect "tool gen_ai.tool.name" "$(tag "$tool" gen_ai.tool.name)" "generate"
expect "tool llm_gateway.agent" "$(tag "$tool" llm_gateway.agent)" "trace-agent"
expect "tool llm_gateway.model" "$(tag "$tool" llm_gateway.model)" "nova-lite"
expect "tool llm_gateway.cached" "$(tag "$tool" llm_gateway.cached)" "false"
expect "tool llm_gateway.coalesced" "$(tag "$tool" llm_gateway.coalesced)" "false"
expect "tool llm_gateway.cost_usd" "$(tag "$tool" llm_gateway.cost_usd)" "$(jq -r '.estimated_cost_usd' "$work/a.answer.json")"
expect "model span's parent (the tool span)" "$(jq -r '.references[0].spanID' <<<"$model")" "$(jq -r '.spanID' <<<"$tool")"
expect "model span name" "$(jq -r '.operationName' <<<"$model")" "chat $model_id"
expect "model span kind" "$(tag "$model" span.kind)" "client"
expect "model gen_ai.operation.name" "$(tag "$model" gen_ai.operation.name)" "chat"
expect "model gen_ai.provider.name" "$(tag "$model" gen_ai.provider.name)" "aws.bedrock"
expect "model gen_ai.request.model" "$(tag "$model" gen_ai.request.model)" "$model_id"
expect "model gen_ai.response.model" "$(tag "$model" gen_ai.response.model)" "$model_id"
expect "model gen_ai.usage.input_tokens" "$(tag "$model" gen_ai.usage.input_tokens)" "$(jq -r '.usage.input_tokens' "$work/a.answer.json")"
expect "model gen_ai.usage.output_tokens" "$(tag "$model" gen_ai.usage.output_tokens)" "$(jq -r '.usage.output_tokens' "$work/a.answer.json")"
expect "model gen_ai.response.finish_reasons" "$(tag "$model" gen_ai.response.finish_reasons)" '["stop"]'
if grep -q "secret prompt text" "$work/a.trace.json"; then echo "FAIL the prompt reached the trace without LOG_PROMPTS"; fail=1; else echo "ok   no prompt text in the trace"; fi

echo "== traces: the same call again, answered from the cache: no Bedrock attempt"
trace_c=5bf92f3577b34da6a3ce929d0e0e4737; parent_c=10f067aa0ba902b8
STORE_URL="sqlite:$work/gateway.db" MIN_SPANS=1 traced_call http/protobuf "http://127.0.0.1:$otlp" "$trace_c" "$parent_c" "$work/c" --arg model=nova-lite --prompt "secret prompt text"
tool=$(tool_span "$work/c.trace.json") || exit 1
expect "cached call's spans" "$(jq -c '[.data[0].spans[].operationName]' "$work/c.trace.json")" '["tools/call generate"]'
expect "tool span's parent (the caller's traceparent)" "$(jq -r '.references[0].spanID' <<<"$tool")" "$parent_c"
expect "tool llm_gateway.cached" "$(tag "$tool" llm_gateway.cached)" "true"
expect "tool llm_gateway.saved_usd" "$(tag "$tool" llm_gateway.saved_usd)" "$(jq -r '.estimated_cost_usd' "$work/a.answer.json")"

echo "== traces: a call over OTLP/gRPC whose first model is throttled (a fallback: two Bedrock attempts)"
trace_b=0af7651916cd43dd8448eb211c80319c; parent_b=b7ad6b7169203331
FALLBACK_MODELS=nova-lite:nova-micro traced_call grpc "http://127.0.0.1:$otlp_grpc" "$trace_b" "$parent_b" "$work/b" \
  --arg model=nova-lite --prompt "[sim:throttle=3] a question"
tool=$(tool_span "$work/b.trace.json") || exit 1
expect "tool span's parent (the caller's traceparent)" "$(jq -r '.references[0].spanID' <<<"$tool")" "$parent_b"
expect "tool llm_gateway.model" "$(tag "$tool" llm_gateway.model)" "nova-micro"
expect "tool llm_gateway.fallbacks" "$(tag "$tool" llm_gateway.fallbacks)" "1"
expect "tool llm_gateway.attempts" "$(tag "$tool" llm_gateway.attempts)" "2"
tool_id=$(jq -r '.spanID' <<<"$tool")
expect "Bedrock attempts under the tool span" \
  "$(spans "$work/b.trace.json" ".operationName|startswith(\"chat \")" | jq -r --arg p "$tool_id" 'select(.references[0].spanID==$p) | .operationName' | sort | tr '\n' ' ')" \
  "chat us.amazon.nova-lite-v1:0 chat us.amazon.nova-micro-v1:0 "
first=$(spans "$work/b.trace.json" '.operationName=="chat us.amazon.nova-lite-v1:0"')
second=$(spans "$work/b.trace.json" '.operationName=="chat us.amazon.nova-micro-v1:0"')
expect "first attempt error.type" "$(tag "$first" error.type)" "throttled"
expect "first attempt otel.status_code" "$(tag "$first" otel.status_code)" "ERROR"
expect "second attempt gen_ai.response.model" "$(tag "$second" gen_ai.response.model)" "us.amazon.nova-micro-v1:0"
expect "second attempt gen_ai.usage.output_tokens" "$(tag "$second" gen_ai.usage.output_tokens)" "$(jq -r '.usage.output_tokens' "$work/b.answer.json")"

[ "$fail" = 0 ] || { echo "traces: checks failed"; exit 1; }
echo "traces: jaeger checks passed (OTLP/HTTP and OTLP/gRPC)"
