package openaiapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// Generator answers requests; *gateway.Gateway is one.
type Generator interface {
	Generate(ctx context.Context, req *gateway.Request) (*gateway.Response, error)
}

// Options configure an API. Generator and Models are required.
type Options struct {
	Generator Generator
	// Models lists the catalog for GET /v1/models.
	Models func() []catalog.Entry
	// Agent names the caller of a request (the holder of its API key); if
	// nil, every call is anonymous.
	Agent func(*http.Request) string
	// Now reads the clock for "created"; if nil, time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// API serves OpenAI's Chat Completions and Models endpoints over the gateway.
type API struct {
	opts  Options
	log   *slog.Logger
	newID func() string // random; fixed by tests
}

// New returns an API. It panics if a required option is missing, as that
// is a wiring bug, not an input.
func New(opts Options) *API {
	if opts.Generator == nil || opts.Models == nil {
		panic("openaiapi: Generator and Models are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Agent == nil {
		opts.Agent = func(*http.Request) string { return "" }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{opts: opts, log: log, newID: rand.Text}
}

// ChatCompletions serves POST /v1/chat/completions.
func (a *API) ChatCompletions(w http.ResponseWriter, r *http.Request) {
	var in ChatRequest
	if err := httpapi.Decode(r.Body, &in); err != nil {
		writeError(w, err)
		return
	}
	req, err := toGateway(&in)
	if err != nil {
		writeError(w, err)
		return
	}
	id := "chatcmpl-" + a.newID()
	req.Agent = a.opts.Agent(r)
	req.Frontend, req.Transport, req.RequestID = "openai", "http", id
	created := a.opts.Now().Unix()
	w.Header().Set("X-Request-Id", id)
	if !in.Stream {
		resp, err := a.opts.Generator.Generate(r.Context(), req)
		if err != nil {
			a.logFailure(r, err)
			writeError(w, err)
			return
		}
		httpapi.SetAccountHeaders(w.Header(), resp)
		writeJSON(w, http.StatusOK, completion(resp, id, in.Model, created))
		return
	}
	s := newChunkStream(w, id, in.Model, created, in.StreamOptions != nil && in.StreamOptions.IncludeUsage)
	req.OnDelta = s.delta
	resp, err := a.opts.Generator.Generate(r.Context(), req)
	if err != nil {
		a.logFailure(r, err)
		if !s.started {
			writeError(w, err)
			return
		}
		s.fail(err)
		return
	}
	s.finish(resp)
}

func (a *API) logFailure(r *http.Request, err error) {
	if gateway.KindOf(err) == gateway.KindInternal {
		a.log.ErrorContext(r.Context(), "chat completion failed", "error", err)
	}
}

// ListModels serves GET /v1/models: every catalog model by its catalog
// name, which is what "model" takes.
func (a *API) ListModels(w http.ResponseWriter, _ *http.Request) {
	all := a.opts.Models()
	out := ModelList{Object: "list", Data: make([]Model, 0, len(all))}
	for _, e := range all {
		out.Data = append(out.Data, model(e))
	}
	writeJSON(w, http.StatusOK, out)
}

// GetModel serves GET /v1/models/{model}, by catalog name or model ID.
func (a *API) GetModel(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("model")
	for _, e := range a.opts.Models() {
		if strings.EqualFold(e.Name, name) || strings.EqualFold(e.ModelID, name) || strings.EqualFold(e.BaseModelID, name) {
			writeJSON(w, http.StatusOK, model(e))
			return
		}
	}
	writeError(w, &gateway.Error{Kind: gateway.KindUnknownModel, Field: "model",
		Message: "no model " + name + " in the catalog; GET /v1/models lists them"})
}

func model(e catalog.Entry) Model {
	return Model{ID: e.Name, Object: "model", OwnedBy: e.Provider, Gateway: e}
}
