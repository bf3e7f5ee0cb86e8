package main

import (
	"os"
	"strings"
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
)

// TestReadmeModelTable checks that the README's model table is the one the
// catalog generates.
func TestReadmeModelTable(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := modelsTable("us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	current, err := catalog.ReplaceTable(string(doc), want)
	if err != nil {
		t.Fatal(err)
	}
	if current != string(doc) {
		t.Error("README.md's model table is not the catalog's; run `go generate ./cmd/llm-gateway` (llm-gateway models table --write README.md)")
	}
	for _, name := range []string{"`claude-opus-5-5`", "`claude-fable-5-1`", "`gpt-5-5`", "`kimi-k3`"} {
		if !strings.Contains(want, name) {
			t.Errorf("the table lacks %s", name)
		}
	}
}

// TestModelsCommand runs the command as a user would: print, and rewrite a
// file between its markers.
func TestModelsCommand(t *testing.T) {
	var out, errOut strings.Builder
	if err := run(t.Context(), []string{"llm-gateway", "models", "table"}, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatalf("models table: %v (%s)", err, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "| model | Bedrock model ID |") {
		t.Errorf("models table printed %.80q…", out.String())
	}
	path := t.TempDir() + "/doc.md"
	if err := os.WriteFile(path, []byte("# Doc\n"+catalog.TableBegin+"\nold\n"+catalog.TableEnd+"\nafter\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"llm-gateway", "models", "table", "--write", path}, func(string) string { return "" }, nil, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if strings.Contains(string(got), "\nold\n") || !strings.Contains(string(got), out.String()) || !strings.HasSuffix(string(got), catalog.TableEnd+"\nafter\n") {
		t.Errorf("rewritten file:\n%s", got)
	}
	if err := os.WriteFile(path, []byte("no markers"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"llm-gateway", "models", "table", "--write", path}, func(string) string { return "" }, nil, &out, &errOut); err == nil || !strings.Contains(err.Error(), "markers") {
		t.Errorf("a file without markers: %v, want an error naming the markers", err)
	}
}
