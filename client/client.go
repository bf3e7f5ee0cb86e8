package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Options say how to reach a gateway: give Command to start one over stdio,
// or URL to reach a running one over HTTP. Every other field is optional.
type Options struct {
	// Command is the path of the llm-gateway binary, started with Args and
	// spoken to over its stdin and stdout. Close ends it.
	Command string
	// Args are the gateway's flags, e.g. {"--simulate"}.
	Args []string
	// Env entries ("NAME=value") are added to this process's environment
	// for the gateway; an entry here wins over an inherited one.
	Env []string
	// Dir is the gateway's working directory, where it reads .env; if
	// empty, this process's.
	Dir string
	// Stderr receives the gateway's log; if nil, it is discarded.
	Stderr io.Writer

	// URL is the Streamable HTTP endpoint of a running gateway, e.g.
	// "http://127.0.0.1:8080/mcp".
	URL string
	// APIKey is sent as "Authorization: Bearer KEY" to URL.
	APIKey string
	// HTTPClient makes the HTTP requests; if nil, one with
	// http.DefaultTransport and no timeout (a streamed answer may take
	// minutes; bound calls with their context instead).
	HTTPClient *http.Client

	// Name is the client name given to the gateway when connecting; over
	// stdio the gateway's metrics count this client's calls under it, so
	// give each agent its own. If empty, "llm-gateway-go".
	Name string
	// Version is the client version given with Name; if empty, "dev".
	Version string
	// Logger receives the MCP client's own log; if nil, it is discarded.
	Logger *slog.Logger
}

// Client is a connected gateway. It is safe for concurrent use.
type Client struct {
	session *mcp.ClientSession
	streams *streams
}

// Connect starts or reaches a gateway and opens an MCP session with it.
// ctx bounds only the connection; the session lasts until Close.
func Connect(ctx context.Context, opts Options) (*Client, error) {
	transport, err := opts.transport()
	if err != nil {
		return nil, err
	}
	return connect(ctx, transport, opts)
}

// connect opens a session over any transport; tests use an in-memory one.
func connect(ctx context.Context, transport mcp.Transport, opts Options) (*Client, error) {
	name, ver := opts.Name, opts.Version
	if name == "" {
		name = "llm-gateway-go"
	}
	if ver == "" {
		ver = "dev"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	st := newStreams()
	c := mcp.NewClient(&mcp.Implementation{Name: name, Version: ver}, &mcp.ClientOptions{
		Logger:                      log,
		ProgressNotificationHandler: st.handle,
		// No roots to offer: advertising none keeps the handshake honest.
		Capabilities: &mcp.ClientCapabilities{},
	})
	session, err := c.Connect(ctx, transport, nil)
	if err != nil {
		return nil, fmt.Errorf("connect to gateway: %w", err)
	}
	return &Client{session: session, streams: st}, nil
}

func (o *Options) transport() (mcp.Transport, error) {
	switch {
	case o.Command != "" && o.URL != "":
		return nil, errors.New("client options: give Command or URL, not both")
	case o.Command != "":
		cmd := exec.Command(o.Command, o.Args...) //nolint:gosec // the command is the caller's own choice of gateway binary, as exec.Command's
		if len(o.Env) > 0 {
			cmd.Env = append(os.Environ(), o.Env...) // later entries win in os/exec
		}
		cmd.Dir = o.Dir
		cmd.Stderr = o.Stderr
		return &mcp.CommandTransport{Command: cmd}, nil
	case o.URL != "":
		hc := o.HTTPClient
		if hc == nil {
			hc = &http.Client{}
		}
		if o.APIKey != "" {
			next := hc.Transport
			if next == nil {
				next = http.DefaultTransport
			}
			withKey := *hc
			withKey.Transport = bearer{key: o.APIKey, next: next}
			hc = &withKey
		}
		return &mcp.StreamableClientTransport{
			Endpoint:   o.URL,
			HTTPClient: hc,
			// The gateway sends nothing unasked; progress for a call comes on
			// that call's own response stream.
			DisableStandaloneSSE: true,
		}, nil
	}
	return nil, errors.New("client options: give Command (a gateway binary) or URL (a gateway's MCP endpoint)")
}

// bearer adds the API key to every request.
type bearer struct {
	key  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return b.next.RoundTrip(r)
}

// Close ends the session; a gateway started over stdio is stopped (its stdin
// closed, then, if it lingers past 5s, a SIGTERM).
func (c *Client) Close() error {
	return c.session.Close()
}

// Generate asks a model for a completion. A call the gateway refused or
// could not complete returns an error wrapping *Error; a broken connection
// or an ended ctx returns another error.
func (c *Client) Generate(ctx context.Context, req GenerateRequest) (*GenerateResponse, error) {
	params := &mcp.CallToolParams{Name: "generate", Arguments: req.args()}
	var s *stream
	if req.OnDelta != nil {
		var token string
		token, s = c.streams.open(req.OnDelta)
		defer c.streams.close(token)
		params.SetProgressToken(token)
	}
	var resp GenerateResponse
	if err := c.call(ctx, params, &resp); err != nil {
		return nil, fmt.Errorf("generate %s: %w", req.Model, err)
	}
	if s != nil {
		s.finish(resp.Content)
	}
	return &resp, nil
}

// ListModels lists the gateway's model catalog, filtered by req.
func (c *Client) ListModels(ctx context.Context, req ListModelsRequest) ([]Model, error) {
	var out listModelsResult
	// Model has every field, so ask for the full records (and so every
	// model, as the zero request promises); the tool's default is a
	// shorter list for agents that read it as text.
	args := struct {
		ListModelsRequest
		Detail bool `json:"detail"`
	}{req, true}
	if err := c.call(ctx, &mcp.CallToolParams{Name: "list_models", Arguments: args}, &out); err != nil {
		return nil, fmt.Errorf("list_models: %w", err)
	}
	return out.Models, nil
}

// Stats reports the gateway's usage, spend, latency and cache figures since
// it started.
func (c *Client) Stats(ctx context.Context) (*Stats, error) {
	var out Stats
	if err := c.call(ctx, &mcp.CallToolParams{Name: "get_stats", Arguments: map[string]any{}}, &out); err != nil {
		return nil, fmt.Errorf("get_stats: %w", err)
	}
	return &out, nil
}

// call calls a tool and decodes its structured result into out.
func (c *Client) call(ctx context.Context, params *mcp.CallToolParams, out any) error {
	res, err := c.session.CallTool(ctx, params)
	if err != nil {
		return err
	}
	if res.IsError {
		return toolError(res)
	}
	raw, err := resultJSON(res)
	if err != nil {
		return err
	}
	if err := decode(raw, out); err != nil {
		return fmt.Errorf("read result: %w", err)
	}
	return nil
}

// resultJSON is a tool result's JSON: its structuredContent, or else its
// text, where the gateway writes the same JSON for text-only clients.
func resultJSON(res *mcp.CallToolResult) ([]byte, error) {
	if res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			return nil, fmt.Errorf("read result: %w", err)
		}
		return b, nil
	}
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return []byte(t.Text), nil
		}
	}
	return nil, errors.New("read result: no structured content and no text")
}
