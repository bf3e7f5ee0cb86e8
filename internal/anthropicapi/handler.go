package anthropicapi

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"strings"

	"github.com/llm-gateway/llm-gateway/internal/catalog"
	"github.com/llm-gateway/llm-gateway/internal/gateway"
	"github.com/llm-gateway/llm-gateway/internal/httpapi"
)

// Generator answers requests; *gateway.Gateway is one.
type Generator interface {
	Generate(ctx context.Context, req *gateway.Request) (*gateway.Response, error)
}

// Options configure an API. Generator, Catalog and Models are required.
type Options struct {
	Generator Generator
	// Catalog resolves model names; Models lists the catalog, for
	// GET /v1/models and for matching Anthropic's model names.
	Catalog gateway.Catalog
	Models  func() []catalog.Entry
	// Agent names the caller of a request (the holder of its API key); if
	// nil, every call is anonymous.
	Agent  func(*http.Request) string
	Logger *slog.Logger
}

// API serves Anthropic's Messages and Models endpoints over the gateway.
type API struct {
	opts  Options
	log   *slog.Logger
	names *modelNames
	newID func() string // random; fixed by tests
}

// New returns an API. It panics if a required option is missing, as that
// is a wiring bug, not an input.
func New(opts Options) *API {
	if opts.Generator == nil || opts.Catalog == nil || opts.Models == nil {
		panic("anthropicapi: Generator, Catalog and Models are required")
	}
	if opts.Agent == nil {
		opts.Agent = func(*http.Request) string { return "" }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{opts: opts, log: log, names: &modelNames{cat: opts.Catalog, models: opts.Models}, newID: rand.Text}
}

// request reads and maps a Messages request body, resolving its model.
func (a *API) request(r *http.Request) (*MessagesRequest, *gateway.Request, error) {
	var in MessagesRequest
	if err := httpapi.Decode(r.Body, &in); err != nil {
		return nil, nil, err
	}
	req, err := toGateway(&in)
	if err != nil {
		return nil, nil, err
	}
	req.Model = a.names.resolve(in.Model)
	req.Agent = a.opts.Agent(r)
	return &in, req, nil
}

// Messages serves POST /v1/messages.
func (a *API) Messages(w http.ResponseWriter, r *http.Request) {
	id := "msg_" + a.newID()
	w.Header().Set("Request-Id", id)
	in, req, err := a.request(r)
	if err != nil {
		writeError(w, err, id)
		return
	}
	req.Frontend, req.Transport, req.RequestID = "anthropic", "http", id
	// Claude Code names its session; the ledger can group its calls by it.
	req.Session = r.Header.Get("X-Claude-Code-Session-Id")
	if !in.Stream {
		resp, err := a.opts.Generator.Generate(r.Context(), req)
		if err != nil {
			a.logFailure(r, err)
			writeError(w, err, id)
			return
		}
		httpapi.SetAccountHeaders(w.Header(), resp)
		writeJSON(w, http.StatusOK, answer(resp, id, in.Model))
		return
	}
	s := newEventStream(w, id, in.Model)
	req.OnDelta = s.delta
	resp, err := a.opts.Generator.Generate(r.Context(), req)
	if err != nil {
		a.logFailure(r, err)
		if !s.started {
			writeError(w, err, id)
			return
		}
		s.fail(err)
		return
	}
	s.finish(resp)
}

// CountTokens serves POST /v1/messages/count_tokens with an estimate: the
// gateway has no tokenizer, so it counts a token per four bytes of text
// and tool definitions, and Anthropic's largest image cost per image. The
// header X-LLM-Gateway-Estimate says so.
func (a *API) CountTokens(w http.ResponseWriter, r *http.Request) {
	id := "req_" + a.newID()
	w.Header().Set("Request-Id", id)
	_, req, err := a.request(r)
	if err == nil {
		_, err = a.opts.Catalog.Resolve(req.Model)
	}
	if err != nil {
		writeError(w, err, id)
		return
	}
	w.Header().Set("X-LLM-Gateway-Estimate", "true")
	writeJSON(w, http.StatusOK, map[string]int{"input_tokens": estimateTokens(req)})
}

// Tokens an image may cost at most (Anthropic's documented ceiling for an
// image of about 1.15 megapixels).
const imageTokens = 1600

func estimateTokens(req *gateway.Request) int {
	n := len(req.System)
	images := 0
	for _, m := range req.Messages {
		n += len(m.Content)
		for _, tc := range m.ToolCalls {
			n += len(tc.Name) + len(tc.Arguments)
		}
		for _, b := range m.Blocks {
			switch b.Type {
			case gateway.BlockImage:
				images++
			default:
				n += len(b.Text) + len(b.Data)
			}
		}
	}
	for _, t := range req.Tools {
		n += len(t.Name) + len(t.Description) + len(t.InputSchema)
	}
	return (n+3)/4 + images*imageTokens
}

func (a *API) logFailure(r *http.Request, err error) {
	if gateway.KindOf(err) == gateway.KindInternal {
		a.log.ErrorContext(r.Context(), "message failed", "error", err)
	}
}

// ListModels serves GET /v1/models: every catalog model by its catalog
// name, which is what "model" takes (Anthropic's own names work too).
func (a *API) ListModels(w http.ResponseWriter, _ *http.Request) {
	all := a.opts.Models()
	out := ModelList{Data: make([]ModelInfo, 0, len(all))}
	for _, e := range all {
		out.Data = append(out.Data, modelInfo(e))
	}
	if n := len(out.Data); n > 0 {
		out.FirstID, out.LastID = &out.Data[0].ID, &out.Data[n-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

// GetModel serves GET /v1/models/{model}.
func (a *API) GetModel(w http.ResponseWriter, r *http.Request) {
	name := a.names.resolve(r.PathValue("model"))
	for _, e := range a.opts.Models() {
		if strings.EqualFold(e.Name, name) || strings.EqualFold(e.ModelID, name) || strings.EqualFold(e.BaseModelID, name) {
			writeJSON(w, http.StatusOK, modelInfo(e))
			return
		}
	}
	writeError(w, &gateway.Error{Kind: gateway.KindUnknownModel, Field: "model",
		Message: "no model " + r.PathValue("model") + " in the catalog; GET /v1/models lists them"}, "")
}

func modelInfo(e catalog.Entry) ModelInfo {
	// The catalog knows no release dates; the epoch stands for unknown.
	return ModelInfo{Type: "model", ID: e.Name, DisplayName: e.Name, CreatedAt: "1970-01-01T00:00:00Z", Gateway: e}
}
