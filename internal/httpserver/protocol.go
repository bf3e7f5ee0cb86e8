package httpserver

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// firstSessionlessVersion is the MCP revision that dropped the initialize
// handshake and sessions: its clients send their version, identity and
// capabilities with every request (SEP-2575) and never get a session ID.
const firstSessionlessVersion = "2026-07-28"

// sessionVersions are the revisions the SDK serves with sessions, newest
// first: what a stateful endpoint supports.
var sessionVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// codeUnsupportedProtocolVersion is the JSON-RPC error of SEP-2575 that
// names the versions a server supports, so the client can fall back.
const codeUnsupportedProtocolVersion = -32022

// sessionlessProtocol reports whether a request speaks a revision without
// sessions. Revisions are dates, so they compare as strings.
func sessionlessProtocol(r *http.Request) bool {
	v := strings.TrimSpace(r.Header.Get("Mcp-Protocol-Version"))
	return len(v) == len(firstSessionlessVersion) && v >= firstSessionlessVersion
}

// refuseSessionless answers a sessionless request on a stateful endpoint
// with the unsupported-version error listing the session revisions.
//
// Clients of the current libraries (mcp-go since 1.0, the official Go and
// TypeScript SDKs) first probe with server/discover at a sessionless
// revision and fall back to initialize when the answer is that error. The
// SDK's stateful handler instead answers the probe as a success that lists
// only the session revisions; mcp-go then takes the server for a
// sessionless one, and every call after initialize fails with
// "unsupported protocol version". Sessionless clients are served, with the
// same tools, by --stateless.
func refuseSessionless(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Mcp-Session-Id") != "" || !sessionlessProtocol(r) {
			next.ServeHTTP(w, r)
			return
		}
		var msg struct {
			ID json.RawMessage `json:"id"`
		}
		body, err := io.ReadAll(r.Body) // bounded by limitBody
		if err != nil || json.Unmarshal(body, &msg) != nil || len(msg.ID) == 0 {
			msg.ID = json.RawMessage("null")
		}
		type data struct {
			Supported []string `json:"supported"`
			Requested string   `json:"requested"`
		}
		resp := struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
			Error   struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Data    data   `json:"data"`
			} `json:"error"`
		}{JSONRPC: "2.0", ID: msg.ID}
		requested := strings.TrimSpace(r.Header.Get("Mcp-Protocol-Version"))
		resp.Error.Code = codeUnsupportedProtocolVersion
		resp.Error.Message = "protocol version " + requested + " has no sessions and this endpoint serves sessions: initialize with one of the supported versions (or start the gateway with --stateless)"
		resp.Error.Data = data{Supported: sessionVersions, Requested: requested}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(resp)
	})
}
