package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDotEnv(t *testing.T) {
	tests := []struct {
		name string
		data string
		want map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"blank lines and comments", "\n  \n# A=1\n   # B=2\n", map[string]string{}},
		{"plain", "A=1\nB = two words \n", map[string]string{"A": "1", "B": "two words"}},
		{"export prefix", "export A=1\nexport\tB=2\nexporter=3\n", map[string]string{"A": "1", "B": "2", "exporter": "3"}},
		{"empty value", "A=\nB=''\nC=\"\"\n", map[string]string{"A": "", "B": "", "C": ""}},
		{"inline comment", "A=1 # one\nB=x#y\nC=z\t# zed\n", map[string]string{"A": "1", "B": "x#y", "C": "z"}},
		{"single quotes are literal", `A='a # b \n "c"'  # note`, map[string]string{"A": `a # b \n "c"`}},
		{"double quote escapes", `A="x\ny\tz \"q\" \\ \$HOME \d"`, map[string]string{"A": "x\ny\tz \"q\" \\ $HOME \\d"}},
		{"no expansion", "A=$HOME\nB=${HOME}\n", map[string]string{"A": "$HOME", "B": "${HOME}"}},
		{"equals in value", "A=b=c\n", map[string]string{"A": "b=c"}},
		{"last wins", "A=1\nA=2\n", map[string]string{"A": "2"}},
		{"crlf and bom", "\uFEFFA=1\r\nB=\"2\"\r\n", map[string]string{"A": "1", "B": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDotEnv(tt.data, ".env")
			if err != nil {
				t.Fatalf("parseDotEnv: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseDotEnv mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDotEnvErrors(t *testing.T) {
	data := strings.Join([]string{
		"GOOD=1",
		"no equals sign",
		"1BAD=x",
		"SECRET=\"hunter2-unterminated",
		"OTHER='hunter3-unterminated",
		"Q=\"a\" trailing-hunter4",
		"BAD KEY=x",
		"AFTER=2",
	}, "\n")
	got, err := parseDotEnv(data, ".env")
	want := []string{
		".env:2: want KEY=VALUE, KEY made of letters, digits and _",
		".env:3: want KEY=VALUE, KEY made of letters, digits and _",
		`.env:4: SECRET: missing closing " in the value`,
		".env:5: OTHER: missing closing ' in the value",
		".env:6: Q: unexpected text after the closing quote",
		".env:7: want KEY=VALUE, KEY made of letters, digits and _",
	}
	if err == nil {
		t.Fatal("parseDotEnv succeeded, want errors")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("parseDotEnv errors mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "hunter") {
		t.Errorf("parseDotEnv error shows a value: %v", err)
	}
	// The good lines are still read.
	if diff := cmp.Diff(map[string]string{"GOOD": "1", "AFTER": "2"}, got); diff != "" {
		t.Errorf("parseDotEnv values mismatch (-want +got):\n%s", diff)
	}
}

func TestReadDotEnvMissing(t *testing.T) {
	vals, found, err := readDotEnv(t.TempDir() + "/.env")
	if vals != nil || found || err != nil {
		t.Errorf("readDotEnv(missing) = %v, %v, %v; want nil, false, nil", vals, found, err)
	}
}

func TestReadDotEnvUnreadable(t *testing.T) {
	// A directory named .env cannot be read as a file.
	_, _, err := readDotEnv(t.TempDir())
	if err == nil || !strings.HasPrefix(err.Error(), "read .env: ") {
		t.Errorf("readDotEnv(directory) error = %v, want a read error", err)
	}
}
