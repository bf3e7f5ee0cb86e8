package boundedfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 2048)), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := Read(path, 2048); err != nil || len(data) != 2048 {
		t.Errorf("Read(2048 bytes, max 2048) = %d bytes, %v; want all of it", len(data), err)
	}
	if _, err := Read(path, 2047); err == nil || !strings.Contains(err.Error(), "check the path") {
		t.Errorf("Read(2048 bytes, max 2047) error = %v, want one saying to check the path", err)
	}
	if _, err := Read("/dev/zero", 1<<20); err == nil {
		t.Error("Read(/dev/zero) succeeded, want a refusal after the bound")
	}
}
