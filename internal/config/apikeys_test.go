package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAPIKeys(t *testing.T) {
	got, err := parseAPIKeys(" alice:" + keyA + " ,, bob.ci-1:" + keyB + ":with:colons,")
	if err != nil {
		t.Fatalf("parseAPIKeys: %v", err)
	}
	want := []APIKey{{"alice", keyA}, {"bob.ci-1", keyB + ":with:colons"}}
	if got, err := parseAPIKeys(strings.Repeat("a", 64) + ":" + keyA); err != nil || len(got) != 1 {
		t.Errorf("a key name of 64 characters: %v, %v; want it taken", got, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseAPIKeys mismatch (-want +got):\n%s", diff)
	}
	if got, err := parseAPIKeys(""); got != nil || err != nil {
		t.Errorf(`parseAPIKeys("") = %v, %v; want nil, nil`, got, err)
	}
}

func TestParseAPIKeysErrors(t *testing.T) {
	const secret = "hunter2hunter2hunter2"
	tests := []struct {
		in   string
		want []string
	}{
		{secret, []string{"want name:key"}},
		{":" + secret, []string{"want name:key, the name 1 to 64 letters, digits, '.', '_' or '-'"}},
		{"a b:" + secret, []string{"want name:key, the name 1 to 64 letters, digits, '.', '_' or '-'"}},
		{strings.Repeat("a", 65) + ":" + secret, []string{"want name:key, the name 1 to 64 letters, digits, '.', '_' or '-'"}},
		{"alice:", []string{`key of "alice" is shorter than 16 characters (make one with: openssl rand -hex 32)`}},
		{"alice:hunter2 hunter2 hunter2", []string{`key of "alice" contains spaces`}},
		{"alice:" + keyA + "," + secret + ",bob:hunter2", []string{
			"entry 2: want name:key",
			`entry 3: key of "bob" is shorter than 16 characters (make one with: openssl rand -hex 32)`,
		}},
	}
	for _, tt := range tests {
		_, err := parseAPIKeys(tt.in)
		var got []string
		for _, e := range unjoin(err) {
			got = append(got, e.Error())
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseAPIKeys(%q) errors mismatch (-want +got):\n%s", tt.in, diff)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseAPIKeys(%q) error shows a key: %v", tt.in, err)
		}
	}
}

func TestParseAPIKeysFile(t *testing.T) {
	data := "# keys\n\nalice:" + keyA + "\r\n  bob:" + keyB + ", ci:" + keyC + "\nbroken\n"
	got, err := parseAPIKeysFile(data)
	want := []APIKey{{"alice", keyA}, {"bob", keyB}, {"ci", keyC}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseAPIKeysFile mismatch (-want +got):\n%s", diff)
	}
	if err == nil || err.Error() != "line 5: want name:key" {
		t.Errorf("parseAPIKeysFile error = %v, want line 5: want name:key", err)
	}
}

func TestAPIKeyString(t *testing.T) {
	k := APIKey{Name: "alice", Key: keyA}
	if got := k.String(); got != "alice:[redacted]" {
		t.Errorf("APIKey.String() = %q, want alice:[redacted]", got)
	}
}
