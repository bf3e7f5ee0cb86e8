package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// TestModelsCheckFindsTheDifference runs `llm-gateway models check` through
// the real AWS SDK control-plane and Price List clients against the
// simulator, whose account agrees with the catalog except for the
// differences the test makes: a price, a missing profile, no access, a
// legacy model and a model the catalog lacks. The simulated Price List has
// AWS's shape: display names rather than IDs (one in another word order),
// Anthropic's prices under the Marketplace service code per million
// tokens, and batch and priority rates beside the on-demand ones, none of
// which may read as a difference. --write gives a MODELS_FILE after which
// the fixable differences are gone.
func TestModelsCheckFindsTheDifference(t *testing.T) {
	cat, err := catalog.Load(catalog.Options{Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	account := simAccount(cat)
	newPrice, newSonnetOut, newGPTIn := 0.0009, 0.0166, 0.0013
	for i := range account {
		a := &account[i]
		switch a.ID {
		case "amazon.nova-pro-v1:0":
			a.Input = &newPrice
		case "anthropic.claude-haiku-4-5-20251001-v1:0":
			a.Profiles = []string{"global"} // the account has no us. profile for it
		case "meta.llama3-3-70b-instruct-v1:0":
			a.NoAccess = true
		case "amazon.nova-2-lite-v1:0":
			a.Legacy = true
		case "anthropic.claude-sonnet-4-5-20250929-v1:0":
			// A Marketplace listing, per million tokens, named in another
			// word order (as Cost Explorer words it).
			a.PriceName = "Claude 4.5 Sonnet"
			a.Output = &newSonnetOut
		case "openai.gpt-5.6-sol":
			a.Global.Input = &newGPTIn // called through its global profile only
		}
	}
	account = append(account, bedrocksim.AccountModel{ID: "acme.unknown-v1:0", Name: "Acme", Provider: "acme", OnDemand: true},
		// Offered in the Region since the catalog's Region list was read.
		bedrocksim.AccountModel{ID: "qwen.qwen3-235b-a22b-2507-v1:0", Name: "Qwen3 235B A22B 2507", Provider: "qwen", OnDemand: true})
	sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKey, SecretAccessKey: testSecret, Region: "us-east-1",
		Account: account, PriceLocation: catalog.PriceLocation("us-east-1")})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	fix := filepath.Join(dir, "models.json")
	check := func(extra ...string) string {
		t.Helper()
		cmd := exec.Command(binary, append([]string{"models", "check"}, extra...)...)
		cmd.Env = gatewayEnv(srv.URL, "AWS_ENDPOINT_URL_BEDROCK="+srv.URL, "AWS_ENDPOINT_URL_PRICING="+srv.URL)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("models check: %v\n%s", err, out)
		}
		return string(out)
	}

	out := check("--write", fix)
	for _, want := range []string{
		"nova-pro               price          catalog $0.0008 in / $0.0032 out per 1K, Price List $0.0009 / $0.0032",
		`claude-haiku-4-5       wrong-id       the catalog calls us.anthropic.claude-haiku-4-5-20251001-v1:0, but the account has no "us" profile`,
		"llama-3-3-70b          no-access",
		"nova-2-lite            legacy",
		"acme.unknown-v1:0      not-in-catalog",
		"claude-sonnet-4-5      price          catalog $0.0033 in / $0.0165 out per 1K, Price List $0.0033 / $0.0166",
		"gpt-5-6                price",
		"qwen3-235b             region         the account can call qwen.qwen3-235b-a22b-2507-v1:0 on demand in us-east-1, which the catalog refuses",
		"8 difference(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("models check output lacks %q:\n%s", want, out)
		}
	}

	// With the written MODELS_FILE, the price, the profile and the status
	// agree; access and the unknown model are the account's to change.
	out = check("--region", "us-east-1")
	if !strings.Contains(out, "8 difference(s)") {
		t.Fatalf("without MODELS_FILE the differences remain:\n%s", out)
	}
	cmd := exec.Command(binary, "models", "check")
	cmd.Env = gatewayEnv(srv.URL, "AWS_ENDPOINT_URL_BEDROCK="+srv.URL, "AWS_ENDPOINT_URL_PRICING="+srv.URL, "MODELS_FILE="+fix)
	after, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("models check with the corrections: %v\n%s", err, after)
	}
	if !strings.Contains(string(after), "2 difference(s)") || strings.Contains(string(after), " price ") ||
		strings.Contains(string(after), "wrong-id") || strings.Contains(string(after), "legacy") ||
		strings.Contains(string(after), " region ") {
		t.Errorf("after the corrections, models check says:\n%s", after)
	}
	fixed, err := catalog.Load(catalog.Options{Region: "us-east-1", File: fix})
	if err != nil {
		t.Fatalf("the written MODELS_FILE does not load: %v", err)
	}
	m, err := fixed.Resolve("nova-pro")
	if err != nil || m.Price == nil || m.Price.Input != 900_000 {
		t.Errorf("nova-pro after the corrections = %+v, %v; want 900000 picodollars per input token", m.Price, err)
	}
	if m, err := fixed.Resolve("qwen3-235b"); err != nil || m.ID != "qwen.qwen3-235b-a22b-2507-v1:0" {
		t.Errorf("qwen3-235b after the corrections = %+v, %v; want callable on demand from us-east-1", m, err)
	}
	if m, err := fixed.Resolve("gpt-5-6"); err != nil || m.Price == nil || m.Price.Input != 1_300_000 {
		t.Errorf("gpt-5-6 after the corrections = %+v, %v; want 1300000 picodollars per input token (its global rate)", m.Price, err)
	}
	if data, _ := os.ReadFile(fix); !strings.Contains(string(data), "AWS Price List for us-east-1") {
		t.Errorf("the correction does not name its source:\n%s", data)
	}
}
