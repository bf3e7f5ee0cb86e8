package bedrocksim_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

func TestStreamMatchesConverse(t *testing.T) {
	_, c := simClient(t)
	for _, prompt := range []string{"a short question", "a much longer question about the weather in Lisbon in the spring", "[sim:reply=nospaces" + strings.Repeat("x", 150) + "]"} {
		in := input("us."+novaPro, prompt)
		in.System = []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "be kind"}}
		want, err := converse(t, t.Context(), c, in)
		if err != nil {
			t.Fatalf("Converse(%q): %v", prompt, err)
		}
		got, err := converseStream(t, t.Context(), c, in)
		if err != nil || got.Err != nil {
			t.Fatalf("ConverseStream(%q): %v, stream error %v", prompt, err, got.Err)
		}
		if diff := cmp.Diff(want, got.result); diff != "" {
			t.Errorf("ConverseStream(%q) differs from Converse (-converse +stream):\n%s", prompt, diff)
		}
		wantEvents := []string{"messageStart"}
		for range got.Deltas {
			wantEvents = append(wantEvents, "contentBlockDelta")
		}
		wantEvents = append(wantEvents, "contentBlockStop", "messageStop", "metadata")
		if diff := cmp.Diff(wantEvents, got.Events); diff != "" {
			t.Errorf("ConverseStream(%q) events (-want +got):\n%s", prompt, diff)
		}
		if got.Deltas < 3 {
			t.Errorf("ConverseStream(%q) sent %d deltas, want the text in several", prompt, got.Deltas)
		}
	}
}

func TestStreamFaults(t *testing.T) {
	_, c := simClient(t)
	tests := []struct {
		marker string
		deltas int
		target any // pointer to the error type Err() must hold; nil for a decoding error
	}{
		{"[sim:stream-error-after=3]", 3, new(*types.ModelStreamErrorException)},
		{"[sim:stream-error-after=0]", 0, new(*types.ModelStreamErrorException)},
		{"[sim:stream-error-after=2][sim:stream-exception=throttlingException]", 2, new(*types.ThrottlingException)},
		{"[sim:stream-error-after=1][sim:stream-exception=internalServerException]", 1, new(*types.InternalServerException)},
		{"[sim:stream-error-after=1][sim:stream-exception=serviceUnavailableException]", 1, new(*types.ServiceUnavailableException)},
		{"[sim:stream-error-after=1][sim:stream-exception=validationException]", 1, new(*types.ValidationException)},
		{"[sim:corrupt-frame]", 1, nil},
		{"[sim:corrupt-frame=4]", 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.marker, func(t *testing.T) {
			got, err := converseStream(t, t.Context(), c, input(novaPro, "tell me more "+tt.marker))
			if err != nil {
				t.Fatalf("ConverseStream: %v", err)
			}
			if got.Deltas != tt.deltas {
				t.Errorf("deltas before the error = %d, want %d", got.Deltas, tt.deltas)
			}
			if got.Err == nil {
				t.Fatalf("stream error = nil, want one")
			}
			if tt.target == nil {
				var apiErr smithy.APIError
				if errors.As(got.Err, &apiErr) {
					t.Errorf("stream error = %v, want a decoding error, not an API error", got.Err)
				}
				return
			}
			if !errors.As(got.Err, tt.target) {
				t.Errorf("stream error = %T %v, want %T", got.Err, got.Err, tt.target)
			}
		})
	}

	t.Run("original status of a model stream error", func(t *testing.T) {
		got, err := converseStream(t, t.Context(), c, input(novaPro, "[sim:stream-error-after=1]"))
		var mse *types.ModelStreamErrorException
		if err != nil || !errors.As(got.Err, &mse) {
			t.Fatalf("ConverseStream: %v, stream error %v, want a ModelStreamErrorException", err, got.Err)
		}
		if aws.ToInt32(mse.OriginalStatusCode) != 500 || mse.ErrorMessage() == "" {
			t.Errorf("ModelStreamErrorException = %+v, want originalStatusCode 500 and a message", mse)
		}
	})
}

// TestWire checks the bytes on the wire where the SDK would hide them:
// frame headers, payload shapes, error headers.
func TestWire(t *testing.T) {
	srv := httptest.NewServer(bedrocksim.New(bedrocksim.Options{})) // no credentials: unsigned requests pass
	t.Cleanup(srv.Close)
	post := func(path, body string) *http.Response { return rawPost(t, srv, path, body) }

	resp := post("/model/amazon.nova-pro-v1%3A0/converse-stream", `{"messages":[{"role":"user","content":[{"text":"[sim:reply=Hi there]"}]}]}`)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/vnd.amazon.eventstream" {
		t.Fatalf("stream status %d, content type %q", resp.StatusCode, ct)
	}
	if resp.Header.Get("X-Amzn-RequestId") == "" {
		t.Errorf("stream response has no x-amzn-RequestId")
	}
	frames := readFrames(t, resp)
	event := func(typ, payload string) frame { return frame{typ, "application/json", "event", payload} }
	want := []frame{
		event("messageStart", `{"role":"assistant"}`),
		event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi "}}`),
		event("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"there"}}`),
		event("contentBlockStop", `{"contentBlockIndex":0}`),
		event("messageStop", `{"stopReason":"end_turn"}`),
		event("metadata", `{"usage":{"inputTokens":5,"outputTokens":2,"totalTokens":7}}`),
	}
	if diff := cmp.Diff(want, frames); diff != "" {
		t.Errorf("stream frames (-want +got):\n%s", diff)
	}

	resp = post("/model/amazon.nova-pro-v1%3A0/converse", `{"messages":[{"role":"user","content":[{"text":"[sim:throttle]"}]}]}`)
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Amzn-ErrorType") != "ThrottlingException" ||
		string(body) != `{"message":"Too many requests, please wait before trying again."}` {
		t.Errorf("throttled answer: %d, X-Amzn-ErrorType %q, body %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}

	resp = post("/model/amazon.nova-pro-v1%3A0/invoke", `{}`)
	if resp.StatusCode != http.StatusNotFound || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("unknown operation: %d, X-Amzn-ErrorType %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
