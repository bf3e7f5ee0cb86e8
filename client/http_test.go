package client

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"
)

// startHTTP starts the gateway binary serving HTTP on a free loopback port
// with one API key, and returns its MCP endpoint and the key. The address
// is read from the gateway's JSON log.
func startHTTP(t *testing.T) (endpoint, key string) {
	t.Helper()
	b := make([]byte, 24)
	rand.Read(b)
	key = hex.EncodeToString(b)
	cmd := exec.Command(gatewayBin, "--simulate", "--transport", "http", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "LOG_FORMAT=json", "LOG_LEVEL=INFO", "BEDROCK_MAX_ATTEMPTS=1", "API_KEYS=client-test:"+key)
	cmd.Dir = t.TempDir()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})

	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			var rec struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if !sent && json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "gateway listening" && rec.URL != "" {
				found <- rec.URL
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("gateway exited before it listened")
		}
		if _, err := url.Parse(u); err != nil {
			t.Fatalf("gateway URL %q: %v", u, err)
		}
		return u, key
	case <-time.After(30 * time.Second): // a bound on start-up, not a synchronisation
		t.Fatal("gateway did not report its address within 30s")
	}
	return "", ""
}

func TestHTTP(t *testing.T) {
	endpoint, key := startHTTP(t)
	c, err := Connect(t.Context(), Options{URL: endpoint, APIKey: key})
	if err != nil {
		t.Fatalf("Connect(%s): %v", endpoint, err)
	}
	t.Cleanup(func() { c.Close() })

	var pieces []string
	resp, err := c.Generate(t.Context(), GenerateRequest{
		Model:    "nova-lite",
		Messages: userSays("Over HTTP. [sim:token-delay=1ms]"),
		OnDelta:  func(s string) { pieces = append(pieces, s) },
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if len(pieces) < 2 || resp.Content == "" {
		t.Errorf("Generate over HTTP streamed %d pieces of %q, want several", len(pieces), resp.Content)
	}

	_, err = c.Generate(t.Context(), GenerateRequest{Model: "nova-lite", Messages: userSays("hi"), Temperature: new(9.0)})
	var gerr *Error
	if !errors.As(err, &gerr) || gerr.Kind != KindInvalidRequest {
		t.Errorf("Generate(temperature 9) error = %v, want invalid_request", err)
	}

	st, err := c.Stats(t.Context())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if got := st.Metrics.RequestsByAgent["client-test"].Requests; got < 1 {
		t.Errorf("Stats requests_by_agent = %+v, want the calls under the key's name client-test", st.Metrics.RequestsByAgent)
	}

	if _, err := Connect(t.Context(), Options{URL: endpoint, APIKey: "wrong-key-0123456789abcdef"}); err == nil {
		t.Errorf("Connect with a wrong key succeeded")
	}
}
