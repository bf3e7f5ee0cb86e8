package bedrocksim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
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
	out := &bedrockruntime.ConverseStreamInput{
		ModelId:                      in.ModelId,
		Messages:                     in.Messages,
		System:                       in.System,
		InferenceConfig:              in.InferenceConfig,
		ToolConfig:                   in.ToolConfig,
		AdditionalModelRequestFields: in.AdditionalModelRequestFields,
	}
	if g := in.GuardrailConfig; g != nil {
		out.GuardrailConfig = &types.GuardrailStreamConfiguration{
			GuardrailIdentifier: g.GuardrailIdentifier,
			GuardrailVersion:    g.GuardrailVersion,
			Trace:               g.Trace,
		}
	}
	return out
}

// result is what a caller keeps of a call, streamed or not.
type result struct {
	Reasoning             string // the reasoning block's text, if any
	Signature             string
	Text                  string
	ToolUses              []toolCall
	StopReason            types.StopReason
	Input, Output, Total  int32
	CacheRead, CacheWrite int32
}

// toolCall is a toolUse block, its input as canonical JSON.
type toolCall struct {
	ID, Name, Input string
}

// canonical re-encodes JSON text with sorted keys, or fails the test.
func canonical(t testing.TB, text string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("tool input %q is not JSON: %v", text, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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
	var calls []toolCall
	var reasoning, signature string
	for i, block := range msg.Value.Content {
		switch b := block.(type) {
		case *types.ContentBlockMemberReasoningContent:
			rt, ok := b.Value.(*types.ReasoningContentBlockMemberReasoningText)
			if i > 0 || !ok {
				t.Fatalf("reasoning block %T at index %d, want reasoning text first", b.Value, i)
			}
			reasoning, signature = aws.ToString(rt.Value.Text), aws.ToString(rt.Value.Signature)
		case *types.ContentBlockMemberText:
			if i > 0 && !(i == 1 && reasoning != "") {
				t.Errorf("text block at index %d, want text only first (after any reasoning)", i)
			}
			text.WriteString(b.Value)
		case *types.ContentBlockMemberToolUse:
			in, err := b.Value.Input.MarshalSmithyDocument()
			if err != nil {
				t.Fatalf("tool input: %v", err)
			}
			calls = append(calls, toolCall{ID: aws.ToString(b.Value.ToolUseId), Name: aws.ToString(b.Value.Name), Input: canonical(t, string(in))})
		default:
			t.Fatalf("content block is %T, want text or tool use", block)
		}
	}
	if msg.Value.Role != types.ConversationRoleAssistant {
		t.Errorf("role = %q, want assistant", msg.Value.Role)
	}
	if out.Metrics == nil || out.Metrics.LatencyMs == nil {
		t.Errorf("metrics.latencyMs missing")
	}
	return result{Reasoning: reasoning, Signature: signature, Text: text.String(), ToolUses: calls, StopReason: out.StopReason}.withUsage(out.Usage), nil
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
	Events     []string // event kinds in order
	Deltas     int      // of any block
	ToolDeltas int      // of tool uses
	Trace      *types.ConverseStreamTrace
	Err        error // the stream's error after the events
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
	var text, reasoning strings.Builder
	var inputs []strings.Builder // of the tool uses, in order
	open := -1                   // the index of the block being streamed
	block := func(i int32) {
		t.Helper()
		if int(i) < open || int(i) > open+1 {
			t.Errorf("content block index %d after %d, want blocks in order", i, open)
		}
		open = int(i)
	}
	for ev := range stream.Events() {
		switch v := ev.(type) {
		case *types.ConverseStreamOutputMemberMessageStart:
			s.Events = append(s.Events, "messageStart")
			if v.Value.Role != types.ConversationRoleAssistant {
				t.Errorf("messageStart role = %q, want assistant", v.Value.Role)
			}
		case *types.ConverseStreamOutputMemberContentBlockStart:
			s.Events = append(s.Events, "contentBlockStart")
			block(aws.ToInt32(v.Value.ContentBlockIndex))
			start, ok := v.Value.Start.(*types.ContentBlockStartMemberToolUse)
			if !ok {
				t.Fatalf("block start is %T, want a tool use", v.Value.Start)
			}
			s.ToolUses = append(s.ToolUses, toolCall{ID: aws.ToString(start.Value.ToolUseId), Name: aws.ToString(start.Value.Name)})
			inputs = append(inputs, strings.Builder{})
		case *types.ConverseStreamOutputMemberContentBlockDelta:
			s.Events = append(s.Events, "contentBlockDelta")
			s.Deltas++
			block(aws.ToInt32(v.Value.ContentBlockIndex))
			switch d := v.Value.Delta.(type) {
			case *types.ContentBlockDeltaMemberText:
				if len(inputs) > 0 {
					t.Errorf("text delta after a tool use")
				}
				text.WriteString(d.Value)
			case *types.ContentBlockDeltaMemberReasoningContent:
				if text.Len() > 0 || len(inputs) > 0 {
					t.Errorf("reasoning delta after the text or a tool use")
				}
				switch r := d.Value.(type) {
				case *types.ReasoningContentBlockDeltaMemberText:
					reasoning.WriteString(r.Value)
				case *types.ReasoningContentBlockDeltaMemberSignature:
					s.Signature = r.Value
				default:
					t.Fatalf("reasoning delta is %T", d.Value)
				}
			case *types.ContentBlockDeltaMemberToolUse:
				if len(inputs) == 0 {
					t.Fatalf("tool use delta before any contentBlockStart")
				}
				inputs[len(inputs)-1].WriteString(aws.ToString(d.Value.Input))
				s.ToolDeltas++
			default:
				t.Fatalf("delta is %T, want text or tool use", v.Value.Delta)
			}
		case *types.ConverseStreamOutputMemberContentBlockStop:
			s.Events = append(s.Events, "contentBlockStop")
			if i := int(aws.ToInt32(v.Value.ContentBlockIndex)); i != open {
				t.Errorf("contentBlockStop index %d, want %d", i, open)
			}
		case *types.ConverseStreamOutputMemberMessageStop:
			s.Events = append(s.Events, "messageStop")
			s.StopReason = v.Value.StopReason
		case *types.ConverseStreamOutputMemberMetadata:
			s.Events = append(s.Events, "metadata")
			s.result = s.result.withUsage(v.Value.Usage)
			if v.Value.Metrics == nil || v.Value.Metrics.LatencyMs == nil {
				t.Errorf("metadata metrics.latencyMs missing")
			}
			s.Trace = v.Value.Trace
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	s.Text = text.String()
	s.Reasoning = reasoning.String()
	s.Err = stream.Err()
	if s.Err == nil {
		for i := range s.ToolUses {
			s.ToolUses[i].Input = canonical(t, inputs[i].String())
		}
	}
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

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// rawPost sends body to the simulator without the SDK, for checks of the
// bytes on the wire.
func rawPost(t *testing.T, srv *httptest.Server, path, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// frame is an event stream frame as read off the wire. The metadata
// event's payload is cut before "metrics", whose latency varies.
type frame struct{ EventType, ContentType, MessageType, Payload string }

// readFrames decodes a ConverseStream body, checking that the metadata event
// carries metrics.latencyMs.
func readFrames(t testing.TB, resp *http.Response) []frame {
	t.Helper()
	var frames []frame
	dec := eventstream.NewDecoder()
	for range 100 { // a bounded read: these streams are short
		msg, err := dec.Decode(resp.Body, nil)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode frame %d: %v", len(frames), err)
		}
		f := frame{
			EventType:   msg.Headers.Get(":event-type").String(),
			ContentType: msg.Headers.Get(":content-type").String(),
			MessageType: msg.Headers.Get(":message-type").String(),
			Payload:     string(msg.Payload),
		}
		if f.EventType == "metadata" {
			var m struct {
				Metrics struct{ LatencyMs *int64 } `json:"metrics"`
			}
			if err := json.Unmarshal(msg.Payload, &m); err != nil || m.Metrics.LatencyMs == nil {
				t.Errorf("metadata payload %s has no metrics.latencyMs", msg.Payload)
			}
			f.Payload = string(bytes.SplitN(msg.Payload, []byte(`,"metrics"`), 2)[0]) + "}"
		}
		frames = append(frames, f)
	}
	return frames
}
