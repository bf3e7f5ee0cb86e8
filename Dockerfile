# llm-gateway: one static binary in a distroless image, running as non-root.
#
#   docker build -t llm-gateway --build-arg VERSION=1.0.0 .
#   docker run -p 127.0.0.1:8080:8080 --env-file .env llm-gateway
#
# By default it serves MCP over HTTP on 0.0.0.0:8080 and refuses to start
# without API keys (API_KEYS or API_KEYS_FILE), since anyone who reaches it
# could otherwise call Bedrock at your expense. See docs/DEPLOYMENT.md.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION} AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
# .ci/container.sh runs this exact go build line outside Docker.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/llm-gateway ./cmd/llm-gateway
# The data directory, owned by the non-root user (distroless has no shell
# to make it in the final stage).
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/llm-gateway /usr/local/bin/llm-gateway
COPY --from=build --chown=65532:65532 /out/data /data
# The usage ledger and the shared answer cache live in /data (a volume in
# docker-compose.yml); STORE_URL=postgres://… points a fleet at PostgreSQL.
ENV MCP_TRANSPORT=http \
    MCP_ADDR=0.0.0.0:8080 \
    LOG_FORMAT=json \
    STORE_URL=sqlite:/data/gateway.db
USER 65532:65532
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/llm-gateway", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/llm-gateway"]
