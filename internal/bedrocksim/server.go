package bedrocksim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is a usable simulator that
// checks no signatures and accepts any well-formed model ID in us-east-1.
type Options struct {
	// AccessKeyID and SecretAccessKey are the only credentials whose SigV4
	// signatures are accepted. If both are empty, signatures are not
	// verified at all (any or no Authorization header passes).
	AccessKeyID, SecretAccessKey string
	// Region is the region the signature's credential scope must name
	// (with service "bedrock"), and the region of accepted ARNs.
	// If empty, "us-east-1".
	Region string
	// Models maps base model IDs ("amazon.nova-pro-v1:0") to their maximum
	// output tokens; other models are refused as Bedrock refuses unknown
	// ones. A limit of zero or less means 8192. If nil, any well-formed
	// model ID is accepted with a limit of 8192.
	Models map[string]int
	// Catalog describes the models served, with their profiles, lifecycle
	// and request rules; when set, it replaces Models and every other model
	// ID is refused as Bedrock refuses unknown ones.
	Catalog []Model
	// MissingOptIns makes the account lack every one-time model agreement:
	// models with an OptIn answer AccessDeniedException, as Bedrock does
	// before the agreement is accepted.
	MissingOptIns bool
	// Latency delays every model invocation's first byte (validation errors
	// and faults included). Zero means none.
	Latency time.Duration
	// TokenDelay separates streamed deltas. Zero means none.
	TokenDelay time.Duration
	// Account is what the control plane (ListFoundationModels,
	// ListInferenceProfiles, GetFoundationModelAvailability) and the Price
	// List API (GetProducts) answer about the account in Region. If nil,
	// those operations answer that nothing is offered.
	Account []AccountModel
	// PriceLocation is Region's name in the Price List's "location"
	// attribute ("US East (N. Virginia)"); if empty, products carry an
	// empty location.
	PriceLocation string
	// Logger receives a debug line per call and signature refusals. If nil,
	// logs are discarded.
	Logger *slog.Logger
}

// defaultOutputLimit is the maxTokens limit of models with no configured one.
const defaultOutputLimit = 8192

// maxBodyBytes bounds a request body; Bedrock's own limit is near 20 MB.
const maxBodyBytes = 32 << 20

// shutdownGrace is how long ListenAndServe lets calls in flight finish
// before it cancels them.
const shutdownGrace = 5 * time.Second

// Log attribute keys.
const (
	logKeyOp        = "op"
	logKeyModel     = "model"
	logKeyStatus    = "status"
	logKeyError     = "error"
	logKeyStop      = "stop_reason"
	logKeyRequestID = "request_id"
	logKeyCanonical = "canonical_request"
)

// Server simulates Bedrock Runtime's Converse and ConverseStream over HTTP.
// It is an http.Handler; use it with httptest.NewServer or ListenAndServe.
// Its methods are safe for concurrent use.
type Server struct {
	opts   Options
	log    *slog.Logger
	models map[string]*Model // by base model ID; nil accepts any well-formed ID
	now    func() time.Time  // the clock signatures are checked against

	calls atomic.Int64

	mu        sync.Mutex
	last      map[string][]byte              // model ID (as sent and base) -> last body
	throttled map[[sha256.Size]byte]int      // body hash -> calls seen with throttle=N
	prefixes  map[[sha256.Size]byte]struct{} // prompt-cache prefixes already written
}

// New returns a simulator configured by opts.
func New(opts Options) *Server {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Models != nil {
		opts.Models = maps.Clone(opts.Models)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var models map[string]*Model
	switch {
	case opts.Catalog != nil:
		models = make(map[string]*Model, len(opts.Catalog))
		for _, m := range opts.Catalog {
			m.Profiles, m.Rejects = slices.Clone(m.Profiles), slices.Clone(m.Rejects)
			models[m.ID] = &m
		}
	case opts.Models != nil:
		models = make(map[string]*Model, len(opts.Models))
		for id, n := range opts.Models {
			models[id] = &Model{ID: id, MaxTokens: n, anyProfile: true}
		}
	}
	return &Server{
		opts:      opts,
		log:       log,
		models:    models,
		now:       time.Now,
		last:      make(map[string][]byte),
		throttled: make(map[[sha256.Size]byte]int),
		prefixes:  make(map[[sha256.Size]byte]struct{}),
	}
}

// Calls reports how many model invocations the simulator answered or
// failed, validation errors and injected faults included; requests refused
// for their signature, or for an unknown path, are not counted.
func (s *Server) Calls() int64 { return s.calls.Load() }

// LastRequest returns a copy of the raw JSON body of the last Converse or
// ConverseStream request for modelID, as received, or nil if none came.
// modelID may be the ID as the client sent it (a profile ID or ARN, say) or
// its base model ID.
func (s *Server) LastRequest(modelID string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.last[modelID]
	if !ok {
		return nil
	}
	return append([]byte(nil), b...)
}

// ServeHTTP answers Bedrock Runtime requests: it checks the signature, then
// routes POST /model/{modelId}/converse and /converse-stream.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			validationError("Input is too long for requested model.").write(w, requestID)
		}
		return // otherwise the client is gone
	}
	if aerr := s.verifySignature(r, body); aerr != nil {
		s.log.Info("signature refused", logKeyRequestID, requestID, logKeyError, aerr.Error())
		aerr.write(w, requestID)
		return
	}
	if s.control(w, r, requestID, body) {
		return
	}
	modelID, stream, ok := route(r)
	if !ok {
		(&apiError{status: http.StatusNotFound, code: codeUnknownOperation, message: "Unknown operation: " + r.Method + " " + r.URL.Path}).write(w, requestID)
		return
	}
	s.invoke(w, r, requestID, modelID, stream, body)
}

// route parses the request line. The model ID is a path label the SDK
// escapes (":" as %3A, "/" of ARNs as %2F), so it is cut from the escaped
// path and only then unescaped.
func route(r *http.Request) (modelID string, stream bool, ok bool) {
	if r.Method != http.MethodPost {
		return "", false, false
	}
	parts := strings.Split(strings.TrimPrefix(requestPath(r), "/"), "/")
	if len(parts) != 3 || parts[0] != "model" || parts[1] == "" {
		return "", false, false
	}
	switch parts[2] {
	case "converse":
	case "converse-stream":
		stream = true
	default:
		return "", false, false
	}
	id, err := url.PathUnescape(parts[1])
	if err != nil {
		return "", false, false
	}
	return id, stream, true
}

// invoke is one model invocation: validation, delays, faults, then the
// answer in JSON or as an event stream.
func (s *Server) invoke(w http.ResponseWriter, r *http.Request, requestID, modelID string, stream bool, body []byte) {
	start := time.Now()
	ctx := r.Context()
	s.calls.Add(1)
	op := "converse"
	if stream {
		op = "converse-stream"
	}
	log := s.log.With(logKeyOp, op, logKeyModel, modelID, logKeyRequestID, requestID)

	base, baseErr := baseModelID(modelID, s.opts.Region)
	s.mu.Lock()
	s.last[modelID] = body
	if baseErr == nil {
		s.last[base] = body
	}
	s.mu.Unlock()

	fail := func(e *apiError) {
		log.Debug("call failed", logKeyStatus, e.status, logKeyError, e.Error())
		e.write(w, requestID)
	}
	canceled := func(err error) {
		// The client is gone (the answer is lost) or the server is shutting
		// down (the client sees a retryable error, not an empty 200).
		fail(unavailable("The request was cancelled before the simulated model answered: " + err.Error()))
	}

	p, aerr := s.prepare(modelID, base, baseErr, body, stream)
	if aerr != nil {
		if err := wait(ctx, s.opts.Latency); err != nil {
			canceled(err)
			return
		}
		fail(aerr)
		return
	}
	d := p.directives
	if err := wait(ctx, s.opts.Latency+d.latency); err != nil {
		canceled(err)
		return
	}
	if d.drop {
		log.Debug("dropping connection")
		dropConnection(w)
		return
	}
	if d.hang {
		log.Debug("hanging until the client gives up")
		<-ctx.Done()
		canceled(ctx.Err())
		return
	}
	if d.notJSON {
		// What a proxy in the way may answer.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return
	}
	if e := d.fault(s.throttle(body, d.throttleFirst)); e != nil {
		fail(e)
		return
	}
	// Composed only now: a call that failed must not have written the
	// prompt cache.
	a := s.compose(modelID, base, p, body)
	a.tier = p.tier
	if stream {
		if err := s.streamAnswer(ctx, w, requestID, a, d, start); err != nil {
			log.Debug("stream ended early", logKeyError, err)
			return
		}
	} else {
		resp := converseResponse{
			Output:     converseOutput{Message: outputMessage{Role: "assistant", Content: a.blocks()}},
			StopReason: a.stopReason,
			Usage:      a.usage,
			Metrics:    metrics{LatencyMs: time.Since(start).Milliseconds()},
			Trace:      a.trace,
			Tier:       a.served(),
		}
		if d.truncate {
			writeTruncated(w, requestID, mustMarshal(resp))
		}
		writeJSON(w, requestID, resp)
	}
	log.Debug("call answered", logKeyStatus, http.StatusOK, logKeyStop, a.stopReason)
}

// prepared is a request that passed validation.
type prepared struct {
	checked
	req        *converseRequest
	directives directives
	prompt     string    // the last user text without markers
	calls      []toolUse // the tools the answer calls, if any
	tier       string    // the service tier the answer reports; "" for none
}

// prepare validates the request and reads its markers.
func (s *Server) prepare(sent, base string, baseErr error, body []byte, stream bool) (prepared, *apiError) {
	if baseErr != nil {
		return prepared{}, validationError("%s", msgInvalidModel)
	}
	m, aerr := s.lookupModel(sent, base)
	if aerr != nil {
		return prepared{}, aerr
	}
	limit := m.MaxTokens
	if limit <= 0 {
		limit = defaultOutputLimit
	}
	req, aerr := parseRequest(body)
	if aerr != nil {
		return prepared{}, aerr
	}
	c, aerr := req.validate(limit)
	if aerr != nil {
		return prepared{}, aerr
	}
	if aerr := m.checkRules(req, c.tools, stream); aerr != nil {
		return prepared{}, aerr
	}
	tier, aerr := m.checkTier(req.ServiceTier)
	if aerr != nil {
		return prepared{}, aerr
	}
	d, prompt, aerr := parseDirectives(req.lastUserText())
	if aerr != nil {
		return prepared{}, aerr
	}
	calls, aerr := resolveCalls(c.tools, d.tools, req)
	if aerr != nil {
		return prepared{}, aerr
	}
	if d.servedTier != "" {
		tier = d.servedTier
	}
	return prepared{checked: c, req: req, directives: d, prompt: prompt, calls: calls, tier: tier}, nil
}

// throttle counts a call carrying throttle=N and reports whether it is
// among the first N with this exact body.
func (s *Server) throttle(body []byte, first int) bool {
	if first <= 0 {
		return false
	}
	key := sha256.Sum256(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttled[key]++
	return s.throttled[key] <= first
}

// wait sleeps for d unless ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// writeTruncated answers 200 with the first half of body and then cuts the
// connection, as a connection lost mid-answer does. It does not return.
func writeTruncated(w http.ResponseWriter, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body[:len(body)/2])
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler)
}

// dropConnection closes the connection without a response. Where the
// connection cannot be hijacked (HTTP/2), aborting the handler resets the
// stream instead.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// newRequestID returns a random UUID, the form of Bedrock's request IDs.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ListenAndServe runs a simulator configured by opts on addr (such as
// "127.0.0.1:0") until ctx ends, then shuts down gracefully: calls in flight
// get shutdownGrace (5s) to finish before they are cancelled. ready, if not
// nil, is called with the listening address once connections are accepted.
func ListenAndServe(ctx context.Context, addr string, opts Options, ready func(net.Addr)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("bedrock simulator: %w", err)
	}
	sim := New(opts)
	// Requests derive from baseCtx, not ctx, so that the end of ctx does not
	// cut calls in flight short: they are cancelled only when the grace
	// period is over.
	baseCtx, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCalls()
	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(sim.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	sim.log.Info("bedrock simulator listening", "addr", ln.Addr().String(), "region", sim.opts.Region)
	if ready != nil {
		ready(ln.Addr())
	}

	select {
	case err := <-served:
		return fmt.Errorf("bedrock simulator: %w", err)
	case <-ctx.Done():
	}
	graceCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(graceCtx); err != nil {
		cancelCalls()
		srv.Close()
	}
	_ = <-served // http.ErrServerClosed, once Serve has returned
	return nil
}
