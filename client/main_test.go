package client

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// gatewayBin is the llm-gateway binary the tests start.
var gatewayBin string

// TestMain builds the gateway once, unless LLM_GATEWAY_BIN names one
// already built, and exports its path in LLM_GATEWAY_BIN for the examples,
// which read it as a user's program would.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	// Every gateway the tests start keeps its ledger and shared cache in
	// memory, so that runs do not see each other's figures and answers
	// (the default is a SQLite file in the user's data directory).
	if os.Getenv("STORE_URL") == "" {
		os.Setenv("STORE_URL", "memory:")
	}
	gatewayBin = os.Getenv("LLM_GATEWAY_BIN")
	if gatewayBin == "" {
		dir, err := os.MkdirTemp("", "llm-gateway-client")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		gatewayBin = filepath.Join(dir, "llm-gateway")
		build := exec.Command("go", "build", "-o", gatewayBin, "github.com/llm-gateway/llm-gateway/cmd/llm-gateway")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build llm-gateway:", err)
			return 1
		}
		os.Setenv("LLM_GATEWAY_BIN", gatewayBin)
	}
	return m.Run()
}
