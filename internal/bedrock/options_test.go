package bedrock

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

// TestBearerTokenOption: a Bedrock API key given as an option (from .env
// through the settings) is sent as a bearer token (over TLS, which the
// SDK requires for one), as one from the
// process environment would be.
func TestBearerTokenOption(t *testing.T) {
	isolateAWSEnv(t)
	auth := make(chan string, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case auth <- r.Header.Get("Authorization"):
		default:
		}
		http.Error(w, `{"message":"no"}`, http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	c, err := New(t.Context(), Options{Region: simRegion, Endpoint: srv.URL, BearerToken: "bedrock-api-key", MaxAttempts: 1, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CheckCredentials(t.Context()); err != nil {
		t.Errorf("CheckCredentials with an API key = %v, want nil", err)
	}
	_, err = c.Converse(t.Context(), ask("hi"))
	select {
	case got := <-auth:
		if got != "Bearer bedrock-api-key" {
			t.Errorf("Authorization = %q, want the API key as a bearer token", got)
		}
	default:
		t.Errorf("no request reached Bedrock: %v", err)
	}
}

// TestStandaloneReadsNoAWSSetting: a missing profile and a broken shared
// config do not stop a standalone client (the simulator's).
func TestStandaloneReadsNoAWSSetting(t *testing.T) {
	isolateAWSEnv(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile x\nbroken"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_PROFILE", "no-such-profile")
	if _, err := New(t.Context(), Options{}); err == nil {
		t.Fatal("New read the environment without error; the test does not test anything")
	}
	_, srv := startSim(t, nil)
	c, err := New(t.Context(), Options{Standalone: true, Region: simRegion, Endpoint: srv.URL,
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""), MaxAttempts: 1})
	if err != nil {
		t.Fatalf("New(Standalone): %v", err)
	}
	if _, err := c.Converse(t.Context(), ask("[sim:reply=ok]")); err != nil {
		t.Errorf("Converse: %v", err)
	}
	if _, err := New(t.Context(), Options{Standalone: true}); err == nil {
		t.Error("New(Standalone) without region, endpoint and credentials succeeded")
	}
}
