// Package boundedfile reads the small files the gateway is configured with
// (.env, API_KEYS_FILE, MODELS_FILE, POLICY_FILE) with a bound on their
// size, so that a wrong path (/dev/zero, a log file, a disk image) fails at
// once with a clear message instead of reading without end.
package boundedfile

import (
	"fmt"
	"io"
	"os"
)

// Read reads the file at path, refusing one larger than max bytes.
func Read(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d KiB, far more than such a file holds; check the path", path, max>>10)
	}
	return data, nil
}
