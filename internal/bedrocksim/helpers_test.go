package bedrocksim_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

const (
	testKeyID  = "AKIDSIM"
	testSecret = "secret"
	novaPro    = "amazon.nova-pro-v1:0"
)

// newSim starts the simulator, checking signatures made with the test
// credentials, behind a real HTTP server on 127.0.0.1.
func newSim(t testing.TB, opts bedrocksim.Options) (*bedrocksim.Server, *httptest.Server) {
	t.Helper()
	if opts.AccessKeyID == "" && opts.SecretAccessKey == "" {
		opts.AccessKeyID, opts.SecretAccessKey = testKeyID, testSecret
	}
	sim := bedrocksim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

// newClient is the real SDK client, as the gateway builds it, without
// retries so that every call is one request.
func newClient(url string, optFns ...func(*bedrockruntime.Options)) *bedrockruntime.Client {
	opts := bedrockruntime.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: plainBody{http.DefaultTransport}},
	}
	for _, fn := range optFns {
		fn(&opts)
	}
	return bedrockruntime.New(opts)
}

// plainBody hands net/http a plain copy of each request body. It works
// around a race between smithy-go and net/http that an instant loopback
// answer exposes: the SDK closes its request body wrapper as soon as the
// response headers arrive, the wrapper's WriteTo then returns io.EOF, and if
// net/http's write loop has not yet made its final read of the body (it
// checks for bytes beyond Content-Length through io.Copy, hence WriteTo) it
// takes that io.EOF for a write error and closes the connection, cutting the
// response stream short ("use of closed network connection"). Real Bedrock
// answers too slowly for the race to show.
type plainBody struct{ next http.RoundTripper }

func (p plainBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return p.next.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	sent := r.Clone(r.Context())
	sent.Body = io.NopCloser(bytes.NewReader(body))
	sent.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return p.next.RoundTrip(sent)
}

// simClient starts a simulator with default options and returns it with a client.
func simClient(t testing.TB) (*bedrocksim.Server, *bedrockruntime.Client) {
	t.Helper()
	sim, srv := newSim(t, bedrocksim.Options{})
	return sim, newClient(srv.URL)
}

func userText(text string) types.Message {
	return types.Message{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}
}

func assistantText(text string) types.Message {
	return types.Message{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: text}}}
}

func input(model, prompt string) *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{ModelId: aws.String(model), Messages: []types.Message{userText(prompt)}}
}

func streamInput(in *bedrockruntime.ConverseInput) *bedrockruntime.ConverseStreamInput {
	return &bedrockruntime.ConverseStreamInput{
		ModelId:                      in.ModelId,
		Messages:                     in.Messages,
		System:                       in.System,
		InferenceConfig:              in.InferenceConfig,
		ToolConfig:                   in.ToolConfig,
		AdditionalModelRequestFields: in.AdditionalModelRequestFields,
	}
}

// result is what a caller keeps of a call, streamed or not.
type result struct {
	Text                  string
	StopReason            types.StopReason
	Input, Output, Total  int32
	CacheRead, CacheWrite int32
}

func converse(t testing.TB, ctx context.Context, c *bedrockruntime.Client, in *bedrockruntime.ConverseInput) (result, error) {
	t.Helper()
	out, err := c.Converse(ctx, in)
	if err != nil {
		return result{}, err
	}
	msg, ok := out.Output.(*types.ConverseOutputMemberMessage)
	if !ok {
		t.Fatalf("Converse output is %T, want a message", out.Output)
	}
	var text strings.Builder
	for _, block := range msg.Value.Content {
		tb, ok := block.(*types.ContentBlockMemberText)
		if !ok {
			t.Fatalf("content block is %T, want text", block)
		}
		text.WriteString(tb.Value)
	}
	if msg.Value.Role != types.ConversationRoleAssistant {
		t.Errorf("role = %q, want assistant", msg.Value.Role)
	}
	if out.Metrics == nil || out.Metrics.LatencyMs == nil {
		t.Errorf("metrics.latencyMs missing")
	}
	return result{Text: text.String(), StopReason: out.StopReason}.withUsage(out.Usage), nil
}

func (r result) withUsage(u *types.TokenUsage) result {
	if u == nil {
		return r
	}
	r.Input, r.Output, r.Total = aws.ToInt32(u.InputTokens), aws.ToInt32(u.OutputTokens), aws.ToInt32(u.TotalTokens)
	r.CacheRead, r.CacheWrite = aws.ToInt32(u.CacheReadInputTokens), aws.ToInt32(u.CacheWriteInputTokens)
	return r
}

// streamed is a ConverseStream call read to its end.
type streamed struct {
	result
	Events []string // event kinds in order
	Deltas int
	Err    error // the stream's error after the events
}

func converseStream(t testing.TB, ctx context.Context, c *bedrockruntime.Client, in *bedrockruntime.ConverseInput) (streamed, error) {
	t.Helper()
	out, err := c.ConverseStream(ctx, streamInput(in))
	if err != nil {
		return streamed{}, err
	}
	stream := out.GetStream()
	defer stream.Close()
	var s streamed
	var text strings.Builder
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			s.Events = append(s.Events, "messageStart")
			if v.Value.Role != types.ConversationRoleAssistant {
				t.Errorf("messageStart role = %q, want assistant", v.Value.Role)
			}
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			s.Events = append(s.Events, "contentBlockDelta")
			s.Deltas++
			d, ok := v.Value.Delta.(*types.ContentBlockDeltaMemberText)
			if !ok {
				t.Fatalf("delta is %T, want text", v.Value.Delta)
			}
			text.WriteString(d.Value)
		case *types.ConverseStreamOutputMemberContentBlockStop:
			s.Events = append(s.Events, "contentBlockStop")
		case *types.ConverseStreamOutputMemberMessageStop:
			s.Events = append(s.Events, "messageStop")
			s.StopReason = v.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			s.Events = append(s.Events, "metadata")
			s.result = s.result.withUsage(v.Value.Usage)
			if v.Value.Metrics == nil || v.Value.Metrics.LatencyMs == nil {
				t.Errorf("metadata metrics.latencyMs missing")
			}
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	s.Text = text.String()
	s.Err = stream.Err()
	return s, nil
}

// recordingTransport keeps the body of the last request it sent.
type recordingTransport struct {
	last []byte
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	rt.last = body
	sent := r.Clone(r.Context())
	sent.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(sent)
}
