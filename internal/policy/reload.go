package policy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/boundedfile"
)

// Reloader keeps a Governor's policy in step with its file: on Reload (the
// caller's signal, SIGHUP) and when the file's contents change. A new
// policy that fails validation is not applied; the one in force stays, and
// the log says why.
type Reloader struct {
	File string
	// Parse validates the file's contents.
	Parse    func([]byte) (*Policy, error)
	Governor *Governor
	// Interval is how often the file is looked at. If zero, 2s.
	Interval time.Duration
	Logger   *slog.Logger

	last []byte // the contents last applied or refused
}

// Load reads and applies the file at start; an error is the whole list of
// its problems.
func (r *Reloader) Load() error {
	data, err := boundedfile.Read(r.File, maxPolicyFileBytes)
	if err != nil {
		return fmt.Errorf("policy file: %w", err)
	}
	p, err := r.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", r.File, err)
	}
	r.last = data
	r.Governor.SetPolicy(p)
	return nil
}

// Reload reads the file again and applies it if it is valid. changedOnly
// skips a file whose contents are those last seen.
func (r *Reloader) Reload(changedOnly bool) error {
	data, err := boundedfile.Read(r.File, maxPolicyFileBytes)
	if err != nil {
		r.Logger.Warn("policy file cannot be read; the policy in force stays", "file", r.File, "error", err)
		return err
	}
	if changedOnly && bytes.Equal(data, r.last) {
		return nil
	}
	r.last = data
	p, err := r.Parse(data)
	if err != nil {
		r.Logger.Warn("policy file refused; the policy in force stays", "file", r.File, "error", err)
		return err
	}
	r.Governor.SetPolicy(p)
	r.Logger.Info("policy reloaded", "file", r.File)
	return nil
}

// Run reloads on each value from hup and on a change of the file, until
// ctx ends.
func (r *Reloader) Run(ctx context.Context, hup <-chan os.Signal) {
	every := r.Interval
	if every <= 0 {
		every = 2 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = r.Reload(false) // logged
		case <-tick.C:
			_ = r.Reload(true)
		}
	}
}
