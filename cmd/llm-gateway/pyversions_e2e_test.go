package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The MCP Python SDK cannot be installed here (no Python package registry
// is reachable), so these tests speak its exchanges by hand, as it sends
// them. Its initialize offers its newest revision and accepts any of
// SUPPORTED_PROTOCOL_VERSIONS back (mcp/shared/version.py); earlier
// releases offered the older ones, so each is tried. Its newer releases
// first probe with server/discover at the sessionless revision
// (mode="auto", mcp/client/_probe.py) and fall back to initialize on any
// error except -32022 listing only sessionless revisions.
var pythonSDKVersions = []string{"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}

const sessionlessVersion = "2026-07-28"

// rpcPost posts one JSON-RPC message to url with the headers a Python
// client sends, and returns the response and its answer (none for a
// notification).
func rpcPost(t *testing.T, url string, headers map[string]string, body string) (*http.Response, *rawAnswer) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return resp, nil
	}
	// A stream carries notifications first, then the answer; the answer
	// is the message with an id.
	var payloads []string
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<22)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				payloads = append(payloads, strings.TrimSpace(d))
			}
		}
	} else {
		payloads = []string{string(raw)}
	}
	for _, p := range payloads {
		var m rawAnswer
		if json.Unmarshal([]byte(p), &m) == nil && len(m.ID) > 0 {
			return resp, &m
		}
	}
	t.Fatalf("POST %s: %d with no JSON-RPC answer: %s", url, resp.StatusCode, raw)
	return nil, nil
}

// toolNames lists the tools of a tools/list result.
func toolNames(t *testing.T, m *rawAnswer) []string {
	t.Helper()
	if m == nil || m.Error != nil {
		t.Fatalf("tools/list = %+v", m)
	}
	var res struct{ Tools []struct{ Name string } }
	if err := json.Unmarshal(m.Result, &res); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// generated is the answer text of a tools/call generate result.
func generated(t *testing.T, m *rawAnswer) string {
	t.Helper()
	if m == nil || m.Error != nil {
		t.Fatalf("tools/call = %+v", m)
	}
	var res struct {
		IsError           bool `json:"isError"`
		StructuredContent struct {
			Content string `json:"content"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(m.Result, &res); err != nil || res.IsError {
		t.Fatalf("tools/call = %s, %v", m.Result, err)
	}
	return res.StructuredContent.Content
}

var wantTools = []string{"generate", "get_stats", "list_models"}

func TestPythonSDKProtocolVersionsOverHTTP(t *testing.T) {
	_, simURL := startSim(t)
	const key = "python-sdk-key-0123456789"
	for _, mode := range []struct {
		name string
		args []string
	}{{"stateful", nil}, {"stateless", []string{"--stateless"}}} {
		t.Run(mode.name, func(t *testing.T) {
			g := startHTTPGateway(t, gatewayEnv(simURL, "API_KEYS=python:"+key), mode.args...)
			url := g.url + "/mcp"
			auth := map[string]string{"Authorization": "Bearer " + key}
			with := func(extra map[string]string) map[string]string {
				h := maps.Clone(auth)
				for k, v := range extra {
					h[k] = v
				}
				return h
			}

			t.Run("probe", func(t *testing.T) {
				meta := fmt.Sprintf(`"_meta":{"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"mcp","version":"0.1.0"}}`, sessionlessVersion)
				modern := func(method, name string) map[string]string {
					h := with(map[string]string{"Mcp-Protocol-Version": sessionlessVersion, "Mcp-Method": method})
					if name != "" {
						h["Mcp-Name"] = name
					}
					return h
				}
				_, m := rpcPost(t, url, modern("server/discover", ""), `{"jsonrpc":"2.0","id":0,"method":"server/discover","params":{`+meta+`}}`)
				if m == nil {
					t.Fatal("server/discover: no answer")
				}
				if mode.name == "stateful" {
					// The SDK falls back to initialize (tested below) unless
					// the error is -32022 naming only sessionless revisions.
					if m.Error == nil {
						t.Fatalf("server/discover on the stateful endpoint = %s; want an error, so the SDK falls back to initialize", m.Result)
					}
					if m.Error.Code == -32022 {
						var data struct{ Supported []string }
						_ = json.Unmarshal(m.Error.Data, &data)
						if !slices.ContainsFunc(data.Supported, func(v string) bool { return slices.Contains(pythonSDKVersions, v) }) {
							t.Errorf("server/discover error %s lists no revision the Python SDK can initialize with; it would give up", m.Error.Data)
						}
					}
					return
				}
				// Stateless: the SDK adopts the discover result and speaks
				// the sessionless revision on every request.
				var res struct{ SupportedVersions []string }
				if m.Error != nil || json.Unmarshal(m.Result, &res) != nil || !slices.Contains(res.SupportedVersions, sessionlessVersion) {
					t.Fatalf("server/discover = %+v; want a result supporting %s", m, sessionlessVersion)
				}
				_, m = rpcPost(t, url, modern("tools/list", ""), `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{`+meta+`}}`)
				if got := toolNames(t, m); !slices.Equal(got, wantTools) {
					t.Errorf("tools/list at %s = %v, want %v", sessionlessVersion, got, wantTools)
				}
				_, m = rpcPost(t, url, modern("tools/call", "generate"), `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":"hi sessionless"}]},`+meta+`}}`)
				if got := generated(t, m); !strings.Contains(got, "hi sessionless") {
					t.Errorf("generate at %s = %q", sessionlessVersion, got)
				}
			})

			for _, v := range pythonSDKVersions {
				t.Run(v, func(t *testing.T) {
					resp, m := rpcPost(t, url, auth, fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"mcp","version":"0.1.0"}}}`, v))
					var init struct{ ProtocolVersion string }
					if m == nil || m.Error != nil || json.Unmarshal(m.Result, &init) != nil {
						t.Fatalf("initialize at %s = %d %+v", v, resp.StatusCode, m)
					}
					if init.ProtocolVersion != v {
						t.Fatalf("initialize at %s answered %s; the SDK that offered %s expects it back", v, init.ProtocolVersion, v)
					}
					// After initialize the SDK sends the session (if any) and
					// the negotiated revision on every request.
					h := with(map[string]string{"Mcp-Protocol-Version": v})
					sid := resp.Header.Get("Mcp-Session-Id")
					if sid != "" {
						h["Mcp-Session-Id"] = sid
					} else if mode.name == "stateful" {
						t.Fatalf("initialize on the stateful endpoint gave no Mcp-Session-Id")
					}
					if resp, _ := rpcPost(t, url, h, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); resp.StatusCode != http.StatusAccepted {
						t.Errorf("notifications/initialized = %d, want 202", resp.StatusCode)
					}
					_, m = rpcPost(t, url, h, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`)
					if got := toolNames(t, m); !slices.Equal(got, wantTools) {
						t.Errorf("tools/list at %s = %v, want %v", v, got, wantTools)
					}
					prompt := "hi from python at " + v
					_, m = rpcPost(t, url, h, fmt.Sprintf(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"generate","arguments":{"model":"nova-lite","messages":[{"role":"user","content":%q}]}}}`, prompt))
					if got := generated(t, m); !strings.Contains(got, prompt) {
						t.Errorf("generate at %s = %q", v, got)
					}
					if sid == "" {
						return
					}
					// The SDK ends its session with DELETE when it closes.
					req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, url, nil)
					for k, val := range h {
						req.Header.Set(k, val)
					}
					dresp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					dresp.Body.Close()
					if dresp.StatusCode >= 300 {
						t.Errorf("DELETE of the session = %d, want 2xx", dresp.StatusCode)
					}
				})
			}
		})
	}
}

// Over stdio the SDK's initialize is the same, on one line.
func TestPythonSDKProtocolVersionsOverStdio(t *testing.T) {
	_, simURL := startSim(t)
	for _, v := range pythonSDKVersions {
		t.Run(v, func(t *testing.T) {
			r, init := startRawStdioAt(t, gatewayEnv(simURL), v)
			var res struct{ ProtocolVersion string }
			if init.Error != nil || json.Unmarshal(init.Result, &res) != nil || res.ProtocolVersion != v {
				t.Fatalf("initialize at %s = %s %+v; want %s back", v, init.Result, init.Error, v)
			}
			r.send(`{"jsonrpc":"2.0","id":"list","method":"tools/list"}`)
			a := r.want("list")
			if got := toolNames(t, &a); !slices.Equal(got, wantTools) {
				t.Errorf("tools/list at %s = %v, want %v", v, got, wantTools)
			}
			r.send(generateLine("gen", "hi from python at "+v))
			a = r.want("gen")
			if got := generated(t, &a); !strings.Contains(got, "hi from python at "+v) {
				t.Errorf("generate at %s = %q", v, got)
			}
		})
	}
}
