package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// credentialsProbeTimeout bounds the start-up check of AWS credentials. It
// runs in the background, so initialize and tools/list never wait for it;
// the bound only stops an instance-metadata probe that hangs.
const credentialsProbeTimeout = 10 * time.Second

// SetupProblem is a configuration problem found at start that keeps the
// gateway from calling Bedrock but not from speaking MCP. An MCP server
// that exits at start is invisible in every client (they show "connection
// closed"), so the gateway comes up anyway and tells the problem on every
// generate call, in the log, in /readyz and in get_stats.
type SetupProblem struct {
	// Setting names what is at fault: a variable (AWS_PROFILE,
	// MODELS_FILE), or "AWS credentials".
	Setting string `json:"setting"`
	Cause   string `json:"cause"`
	Fix     string `json:"fix"`
	// Blocking problems refuse every generate call. The others (no
	// credentials yet: an `aws sso login` may bring them) leave the call
	// to fail or succeed on its own.
	Blocking bool `json:"blocking"`
}

func (p SetupProblem) String() string {
	return fmt.Sprintf("%s: %s; fix: %s", p.Setting, p.Cause, p.Fix)
}

// setup holds the problems found at start, and the credentials check that
// may clear one later.
type setup struct {
	log *slog.Logger

	mu       sync.Mutex
	problems []SetupProblem
	creds    *SetupProblem // the credentials problem, while there is one

	// checkCreds resolves the AWS credentials; nil when there is nothing
	// to resolve (simulator, static keys, Bedrock API key, no client).
	checkCreds func(context.Context) error
}

func newSetup(log *slog.Logger) *setup { return &setup{log: log} }

// add records a problem and logs it.
func (s *setup) add(p SetupProblem) {
	s.mu.Lock()
	s.problems = append(s.problems, p)
	s.mu.Unlock()
	s.log.Error("configuration problem: the gateway serves MCP but cannot call Bedrock until it is fixed",
		"setting", p.Setting, "cause", p.Cause, "fix", p.Fix)
}

// list returns every problem, the credentials one last.
func (s *setup) list() []SetupProblem {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]SetupProblem(nil), s.problems...)
	if s.creds != nil {
		out = append(out, *s.creds)
	}
	return out
}

// blocking is the error every generate call gets while a blocking problem
// remains, or nil.
func (s *setup) blocking() error {
	var msgs []string
	for _, p := range s.list() {
		if p.Blocking {
			msgs = append(msgs, p.String())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return &gateway.Error{Kind: gateway.KindUnavailable, Message: "the gateway is running but is not configured to call Bedrock: " +
		strings.Join(msgs, "; and ") + ". Restart it after the fix (the MCP client restarts it when it reconnects)"}
}

// probeCredentials checks the credentials once, in the background, and
// records a problem if there are none. wait blocks until it is done.
func (s *setup) probeCredentials(ctx context.Context) (wait func()) {
	if s.checkCreds == nil {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(ctx, credentialsProbeTimeout)
		defer cancel()
		err := s.recheck(ctx)
		if errors.Is(ctx.Err(), context.Canceled) {
			return // shutting down: the answer no longer matters
		}
		if err != nil {
			s.log.Error("configuration problem: no AWS credentials; every generate call will fail until there are some",
				"cause", err, "fix", credentialsFix)
		} else {
			s.log.Debug("aws credentials resolved")
		}
	}()
	return func() { <-done }
}

const credentialsFix = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, name a profile with AWS_PROFILE " +
	"(after `aws sso login` for SSO profiles), set AWS_BEARER_TOKEN_BEDROCK to a Bedrock API key, " +
	"or start the gateway with --simulate to answer without AWS"

// recheck resolves the credentials and updates the credentials problem.
func (s *setup) recheck(ctx context.Context) error {
	err := s.checkCreds(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.creds = nil
		return nil
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w (no answer within %v; an instance-metadata service may be unreachable)", err, credentialsProbeTimeout)
	}
	s.creds = &SetupProblem{Setting: "AWS credentials", Cause: err.Error(), Fix: credentialsFix}
	return err
}

// ready is the /readyz check of the configuration: nil once no problem
// remains. A credentials problem is checked again, so that credentials
// that appeared after start make the gateway ready.
func (s *setup) ready(ctx context.Context) error {
	s.mu.Lock()
	recheck := s.creds != nil
	s.mu.Unlock()
	if recheck {
		_ = s.recheck(ctx)
	}
	var msgs []string
	for _, p := range s.list() {
		msgs = append(msgs, p.String())
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; and "))
	}
	return nil
}

// gatedGenerator refuses every call while the setup has a blocking
// problem, once the core is wired (start): a call that comes before waits
// for it, the ledger's store included. core.gateway is nil when no Bedrock
// client could be made; a blocking problem then always says why.
type gatedGenerator struct {
	setup *setup
	core  *core
}

func (g gatedGenerator) Generate(ctx context.Context, req *gateway.Request) (*gateway.Response, error) {
	if err := g.core.wait(ctx); err != nil {
		return nil, err
	}
	if err := g.setup.blocking(); err != nil {
		return nil, err
	}
	if g.core.gateway == nil {
		return nil, errors.New("no Bedrock client and no problem recorded") // a wiring bug: internal
	}
	return g.core.gateway.Generate(ctx, req)
}
