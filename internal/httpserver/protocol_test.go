package httpserver

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// A sessionless probe on the stateful endpoint gets SEP-2575's
// unsupported-version error naming the session revisions, so clients fall
// back to initialize; with --stateless the SDK answers it itself.
func TestSessionlessProbeIsToldTheSessionVersions(t *testing.T) {
	probe := `{"jsonrpc":"2.0","id":7,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`
	h := map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "server/discover", "Authorization": "Bearer " + keyA}

	r := start(t, Options{Keys: testKeys})
	resp, body := post(t, r.url+"/mcp", probe, h)
	var got struct {
		ID    int `json:"id"`
		Error struct {
			Code int `json:"code"`
			Data struct {
				Supported []string `json:"supported"`
				Requested string   `json:"requested"`
			} `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("answer %d %q is not JSON-RPC: %v", resp.StatusCode, body, err)
	}
	if resp.StatusCode != http.StatusBadRequest || got.ID != 7 || got.Error.Code != codeUnsupportedProtocolVersion ||
		got.Error.Data.Requested != "2026-07-28" || !slices.Contains(got.Error.Data.Supported, "2025-11-25") {
		t.Errorf("probe on the stateful endpoint = %d %s; want 400 with error -32022 naming the session versions", resp.StatusCode, body)
	}

	stateless := start(t, Options{Keys: testKeys, Stateless: true})
	if resp, body := post(t, stateless.url+"/mcp", probe, h); resp.StatusCode != http.StatusOK {
		t.Errorf("probe on the stateless endpoint = %d %s; want the SDK's answer", resp.StatusCode, body)
	}
}
