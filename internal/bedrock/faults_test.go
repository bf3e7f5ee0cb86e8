package bedrock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

// wantError checks that err is a *gateway.Error of the given kind and
// retryability that wraps the SDK's error.
func wantError(t *testing.T, err error, kind gateway.ErrorKind, retryable bool) *gateway.Error {
	t.Helper()
	var ge *gateway.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error = %v (%T), want a *gateway.Error", err, err)
	}
	if ge.Kind != kind || ge.Retryable != retryable {
		t.Errorf("error kind %q retryable %v, want %q retryable %v; message: %s", ge.Kind, ge.Retryable, kind, retryable, ge.Message)
	}
	if ge.Message == "" {
		t.Errorf("error has no message for the caller")
	}
	if ge.Err == nil {
		t.Errorf("error wraps no cause")
	}
	return ge
}

func TestSimErrorKinds(t *testing.T) {
	tests := []struct {
		marker    string
		kind      gateway.ErrorKind
		retryable bool
		inMessage string
	}{
		{"[sim:throttle]", gateway.KindThrottled, true, "Bedrock is throttling requests to " + novaPro},
		{"[sim:error=429]", gateway.KindThrottled, true, "throttling"},
		{"[sim:not-ready]", gateway.KindThrottled, true, "not ready"},
		{"[sim:error=500]", gateway.KindUnavailable, true, "unavailable"},
		{"[sim:error=503]", gateway.KindUnavailable, true, "unavailable"},
		{"[sim:error=424]", gateway.KindModelError, true, "The model returned an error"},
		{"[sim:error=408]", gateway.KindTimeout, true, "too long"},
		{"[sim:timeout]", gateway.KindTimeout, true, "too long"},
		{"[sim:error=403]", gateway.KindAccessDenied, false, "bedrock:InvokeModel"},
		{"[sim:error=404]", gateway.KindModelNotFound, false, "us-east-1"},
		{"[sim:error=400]", gateway.KindInvalidRequest, false, "Simulated validation failure."},
		{"[sim:no-such-marker]", gateway.KindInvalidRequest, false, "unknown simulator marker"},
		{"[sim:drop]", gateway.KindUnavailable, true, "cannot reach Bedrock"},
		{"[sim:not-json]", gateway.KindUnavailable, true, "retry"},
	}
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	for _, tc := range tests {
		for _, m := range modes {
			t.Run(tc.marker+"/"+m.name, func(t *testing.T) {
				_, deltas, err := m.call(t.Context(), c, ask("Hello "+tc.marker))
				ge := wantError(t, err, tc.kind, tc.retryable)
				if !strings.Contains(ge.Message, tc.inMessage) {
					t.Errorf("message %q does not contain %q", ge.Message, tc.inMessage)
				}
				if len(deltas) > 0 {
					t.Errorf("onDelta saw %q before a failed start", deltas)
				}
			})
		}
	}
}

func TestSimUnknownModel(t *testing.T) {
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	_, err := c.Converse(t.Context(), &gateway.Call{ModelID: "no-such-model", Messages: []gateway.Message{user("hi")}})
	ge := wantError(t, err, gateway.KindInvalidRequest, false)
	if !strings.Contains(ge.Message, "The provided model identifier is invalid.") {
		t.Errorf("message %q does not quote Bedrock", ge.Message)
	}
}

func TestSimStreamFailsMidway(t *testing.T) {
	tests := []struct {
		marker    string
		kind      gateway.ErrorKind
		retryable bool
	}{
		{"[sim:stream-error-after=3]", gateway.KindModelError, true},
		{"[sim:stream-error-after=0]", gateway.KindModelError, true},
		{"[sim:stream-error-after=2][sim:stream-exception=throttlingException]", gateway.KindThrottled, true},
		{"[sim:stream-error-after=2][sim:stream-exception=internalServerException]", gateway.KindUnavailable, true},
		{"[sim:stream-error-after=2][sim:stream-exception=serviceUnavailableException]", gateway.KindUnavailable, true},
		{"[sim:stream-error-after=2][sim:stream-exception=validationException]", gateway.KindInvalidRequest, false},
		{"[sim:corrupt-frame=2]", gateway.KindUnavailable, true},
		{"[sim:truncate]", gateway.KindUnavailable, true},
	}
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 3)
	for _, tc := range tests {
		t.Run(tc.marker, func(t *testing.T) {
			var got strings.Builder
			_, err := c.ConverseStream(t.Context(), ask("Tell me about rivers "+tc.marker), func(s string) { got.WriteString(s) })
			ge := wantError(t, err, tc.kind, tc.retryable)
			want := fmt.Sprintf("after %d characters had arrived", utf8.RuneCountInString(got.String()))
			if !strings.Contains(ge.Message, want) {
				t.Errorf("message %q does not say %q", ge.Message, want)
			}
		})
	}
}

func TestSimRetry(t *testing.T) {
	tests := []struct {
		name        string
		marker      string
		maxAttempts int
		wantKind    gateway.ErrorKind // empty for success
		wantCalls   int64
	}{
		{"throttled twice then answered", "[sim:throttle=2]", 3, "", 3},
		{"throttled with no retry", "[sim:throttle=2]", 1, gateway.KindThrottled, 1},
		{"throttled beyond attempts", "[sim:throttle=5]", 3, gateway.KindThrottled, 3},
		{"model not ready is retried", "[sim:not-ready]", 3, gateway.KindThrottled, 3},
		{"server error is retried", "[sim:error=500]", 2, gateway.KindUnavailable, 2},
		{"unavailable is retried", "[sim:error=503]", 2, gateway.KindUnavailable, 2},
		{"dropped connection is retried", "[sim:drop]", 2, gateway.KindUnavailable, 2},
		{"model error is not retried", "[sim:error=424]", 3, gateway.KindModelError, 1},
		{"validation is not retried", "[sim:error=400]", 3, gateway.KindInvalidRequest, 1},
		{"model timeout is not retried", "[sim:timeout]", 3, gateway.KindTimeout, 1},
	}
	for _, tc := range tests {
		for _, m := range modes {
			t.Run(tc.name+"/"+m.name, func(t *testing.T) {
				sim, srv := startSim(t, nil)
				c := newTestClient(t, srv, tc.maxAttempts)
				comp, _, err := m.call(t.Context(), c, ask("Count sheep "+tc.marker))
				if tc.wantKind == "" {
					if err != nil {
						t.Fatalf("call: %v", err)
					}
					if comp.Content == "" {
						t.Errorf("empty answer after retries")
					}
				} else {
					_ = wantError(t, err, tc.wantKind, tc.wantKind != gateway.KindInvalidRequest)
				}
				if got := sim.Calls(); got != tc.wantCalls {
					t.Errorf("simulator saw %d calls, want %d", got, tc.wantCalls)
				}
			})
		}
	}
}

func TestSimCancel(t *testing.T) {
	// arrived is told when a request reaches the simulator, so that the
	// call is canceled while Bedrock is "thinking", not before it is sent.
	arrived := make(chan struct{}, 4)
	_, srv := startSim(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case arrived <- struct{}{}:
			default:
			}
			next.ServeHTTP(w, r)
		})
	})
	c := newTestClient(t, srv, 3)

	for _, m := range modes {
		t.Run("waiting/"+m.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				<-arrived
				cancel()
			}()
			_, _, err := m.call(ctx, c, ask("Think hard [sim:latency=1h]"))
			_ = wantError(t, err, gateway.KindCanceled, false)
		})
	}

	t.Run("streaming", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var got string
		_, err := c.ConverseStream(ctx, ask("Write slowly [sim:token-delay=1h]"), func(s string) {
			got += s
			cancel() // after the first delta; the next one is an hour away
		})
		ge := wantError(t, err, gateway.KindCanceled, false)
		want := fmt.Sprintf("after %d characters had arrived", utf8.RuneCountInString(got))
		if got == "" || !strings.Contains(ge.Message, want) {
			t.Errorf("message %q does not say %q", ge.Message, want)
		}
	})

	t.Run("deadline passed", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 0)
		defer cancel()
		_, err := c.Converse(ctx, ask("Too late"))
		_ = wantError(t, err, gateway.KindTimeout, true)
	})
}

func TestSimWrongSecret(t *testing.T) {
	sim, srv := startSim(t, nil)
	c, err := New(t.Context(), Options{
		Endpoint:    srv.URL,
		Region:      simRegion,
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, "not-the-secret", ""),
		MaxAttempts: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Converse(t.Context(), ask("hi"))
	ge := wantError(t, err, gateway.KindAccessDenied, false)
	if strings.Contains(ge.Message, "not-the-secret") {
		t.Errorf("message %q holds the secret", ge.Message)
	}
	if sim.Calls() != 0 {
		t.Errorf("simulator answered %d calls with a bad signature", sim.Calls())
	}
}

// isolateAWSEnv makes the AWS credential and config chain see nothing but
// what the test sets, and never reach for instance metadata.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_BEARER_TOKEN_BEDROCK", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_MAX_ATTEMPTS",
		"AWS_CA_BUNDLE",
	} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestSimNoCredentials(t *testing.T) {
	isolateAWSEnv(t)
	sim, srv := startSim(t, nil)
	c, err := New(t.Context(), Options{Endpoint: srv.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatalf("New without credentials: %v", err)
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			_, _, err := m.call(t.Context(), c, ask("hi"))
			ge := wantError(t, err, gateway.KindAccessDenied, false)
			for _, s := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "--simulate"} {
				if !strings.Contains(ge.Message, s) {
					t.Errorf("message %q does not name %s", ge.Message, s)
				}
			}
		})
	}
	if sim.Calls() != 0 {
		t.Errorf("simulator saw %d calls without credentials", sim.Calls())
	}
}

func TestSimEnvironment(t *testing.T) {
	isolateAWSEnv(t)
	t.Run("defaults", func(t *testing.T) {
		c, err := New(t.Context(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Region(); got != DefaultRegion {
			t.Errorf("Region() = %q, want %q", got, DefaultRegion)
		}
	})
	t.Run("region, keys and endpoint from the environment", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		t.Setenv("AWS_REGION", simRegion)
		t.Setenv("AWS_ACCESS_KEY_ID", simKeyID)
		t.Setenv("AWS_SECRET_ACCESS_KEY", simSecret)
		t.Setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", srv.URL)
		c, err := New(t.Context(), Options{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Region(); got != simRegion {
			t.Errorf("Region() = %q, want %q", got, simRegion)
		}
		if _, err := c.Converse(t.Context(), ask("[sim:reply=ok]")); err != nil {
			t.Fatalf("Converse: %v", err)
		}
		if sim.Calls() != 1 {
			t.Errorf("simulator saw %d calls, want 1", sim.Calls())
		}
	})
	t.Run("profile", func(t *testing.T) {
		sim, srv := startSim(t, nil)
		dir := t.TempDir()
		creds := filepath.Join(dir, "credentials")
		data := fmt.Sprintf("[sim]\naws_access_key_id = %s\naws_secret_access_key = %s\n", simKeyID, simSecret)
		if err := os.WriteFile(creds, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
		c, err := New(t.Context(), Options{Profile: "sim", Region: "us-east-1", Endpoint: srv.URL, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Converse(t.Context(), ask("[sim:reply=ok]")); err != nil {
			t.Fatalf("Converse: %v", err)
		}
		if sim.Calls() != 1 {
			t.Errorf("simulator saw %d calls, want 1", sim.Calls())
		}
	})
	t.Run("unknown profile", func(t *testing.T) {
		_, err := New(t.Context(), Options{Profile: "nope"})
		if err == nil || !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("New with an unknown profile: %v, want an error naming it", err)
		}
	})
}

func TestNewRejectsNegativeSettings(t *testing.T) {
	_, err := New(t.Context(), Options{Region: "us-east-1", MaxAttempts: -1, MaxBackoff: -1})
	if err == nil || !strings.Contains(err.Error(), "max attempts") || !strings.Contains(err.Error(), "max backoff") {
		t.Errorf("New with negative settings: %v, want both named", err)
	}
}

func TestBodyGuardHidesWriteTo(t *testing.T) {
	var seen io.ReadCloser
	g := bodyGuard{next: doFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Body
		return nil, errors.New("stop")
	})}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader("{}"))
	req.Body = io.NopCloser(strings.NewReader("{}")) // a WriterTo, as the SDK's body is
	if _, ok := req.Body.(io.WriterTo); !ok {
		t.Fatal("test body should implement io.WriterTo")
	}
	_, _ = g.Do(req)
	if _, ok := seen.(io.WriterTo); ok {
		t.Errorf("body passed on implements io.WriterTo; net/http would drain it with WriteTo")
	}
	if b, _ := io.ReadAll(seen); string(b) != "{}" {
		t.Errorf("body passed on reads %q, want {}", b)
	}
}

// TestSimStreamCutKeepsUsage checks that a stream cut after text arrived
// returns, beside its error, the usage AWS bills for it: estimated (input
// from the call's size, output from the text that arrived) because the
// metadata event never came. A stream cut before anything arrived returns
// none.
func TestSimStreamCutKeepsUsage(t *testing.T) {
	_, srv := startSim(t, nil)
	c := newTestClient(t, srv, 1)
	call := ask("Tell me about rivers [sim:stream-error-after=3]")
	var got strings.Builder
	comp, err := c.ConverseStream(t.Context(), call, func(s string) { got.WriteString(s) })
	if err == nil || comp == nil {
		t.Fatalf("ConverseStream = %v, %v; want a partial completion and an error", comp, err)
	}
	want := gateway.Usage{
		InputTokens:  gateway.EstimateInputTokens(call),
		OutputTokens: gateway.EstimateOutputTokens(got.Len()),
	}
	if !comp.UsageEstimated || comp.Usage != want || want.OutputTokens == 0 || want.InputTokens == 0 {
		t.Errorf("partial usage = %+v (estimated %v), want %+v estimated", comp.Usage, comp.UsageEstimated, want)
	}
	if comp.Content != got.String() || comp.FinishReason != "" {
		t.Errorf("partial completion = %q finish %q, want the text that arrived and no finish", comp.Content, comp.FinishReason)
	}

	comp, err = c.ConverseStream(t.Context(), ask("Tell me about rivers [sim:stream-error-after=0]"), nil)
	if err == nil || comp != nil {
		t.Errorf("stream cut before any text = %+v, %v; want no completion and an error", comp, err)
	}
}

// A 200 whose body is cut short or is not JSON is Bedrock's failure, as a
// 5xx is: unavailable, retryable, and retried by the SDK (a stream's
// failure, once its events have begun, is classified the same way in
// TestSimErrorKinds and TestSimStreamFailsMidway).
func TestSimBadAnswersAreRetried(t *testing.T) {
	for _, marker := range []string{"[sim:not-json]", "[sim:truncate]"} {
		t.Run(marker, func(t *testing.T) {
			sim, srv := startSim(t, nil)
			c := newTestClient(t, srv, 2)
			_, err := c.Converse(t.Context(), ask("Count sheep "+marker))
			ge := wantError(t, err, gateway.KindUnavailable, true)
			if !strings.Contains(ge.Message, "cut short or is not a valid answer") {
				t.Errorf("message %q does not say what went wrong", ge.Message)
			}
			if got := sim.Calls(); got != 2 {
				t.Errorf("simulator saw %d calls, want 2 (retried once)", got)
			}
		})
	}
}

// An answer past MaxAnswerBytes fails the call, once: it is not retried,
// as the next attempt would be as large.
func TestSimAnswerCap(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			sim, srv := startSim(t, nil)
			c, err := New(t.Context(), Options{
				Endpoint: srv.URL, Region: simRegion,
				Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
				MaxAttempts: 3, MaxBackoff: time.Microsecond, MaxAnswerBytes: 8 << 10, // the simulator keeps answers within max_tokens
				HTTPClient: srv.Client(), Logger: testLogger(t),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = m.call(t.Context(), c, ask("Say a lot [sim:huge=1000000]"))
			var ge *gateway.Error
			if !errors.As(err, &ge) || ge.Kind != gateway.KindModelError || ge.Retryable {
				t.Fatalf("error = %v, want a model_error that is not retryable", err)
			}
			if !strings.Contains(ge.Message, "MAX_ANSWER_BYTES") {
				t.Errorf("message %q does not name the setting", ge.Message)
			}
			if got := sim.Calls(); got != 1 {
				t.Errorf("simulator saw %d calls, want 1", got)
			}
		})
	}
}

// A hung attempt is cut by AttemptTimeout and retried within the call's
// deadline, instead of using it all up on one connection.
func TestSimHungAttemptIsRetried(t *testing.T) {
	sim, srv := startSim(t, nil)
	c, err := New(t.Context(), Options{
		Endpoint: srv.URL, Region: simRegion,
		Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
		MaxAttempts: 2, MaxBackoff: time.Microsecond, AttemptTimeout: 100 * time.Millisecond,
		Logger: testLogger(t), // the SDK's own HTTP client, which AttemptTimeout configures
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a generous bound, not a timing assertion
	defer cancel()
	_, err = c.Converse(ctx, ask("Wait for me [sim:hang]"))
	_ = wantError(t, err, gateway.KindTimeout, true)
	if ctx.Err() != nil {
		t.Fatal("the call's own deadline ran out: the attempt was not cut")
	}
	if got := sim.Calls(); got != 2 {
		t.Errorf("simulator saw %d calls, want 2 (the hung attempt retried)", got)
	}
}

// What the AWS SDK logs goes through the gateway's logger, so that
// LOG_FORMAT=json stays JSON.
func TestSDKLoggerIsSlog(t *testing.T) {
	var buf strings.Builder
	l := sdkLogger(slog.New(slog.NewJSONHandler(&buf, nil)))
	l.Logf(logging.Warn, "Response has no supported checksum. Not validating response payload.")
	l.Logf(logging.Debug, "not shown at INFO")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !json.Valid([]byte(lines[0])) || !strings.Contains(lines[0], `"level":"WARN"`) || !strings.Contains(lines[0], `"component":"aws-sdk"`) {
		t.Fatalf("SDK log output %q, want one JSON WARN line from the aws-sdk component", buf.String())
	}
}

// The AWS SDK's client-wide retry quota (500 tokens, 5 a retry) cuts
// BEDROCK_MAX_ATTEMPTS short under sustained failures: after about 100
// retries, calls get one attempt each. BEDROCK_RETRY_QUOTA=false
// (NoRetryQuota) keeps every call's attempts. This is the documented
// choice of the README's Limits table; the test shows both sides of it.
func TestRetryQuota(t *testing.T) {
	const calls, attempts = 80, 3
	for _, tc := range []struct {
		name    string
		noQuota bool
		// the requests that reach Bedrock for the last 10 calls
		lastTen int64
	}{
		{"quota", false, 10},
		{"no quota", true, 10 * attempts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, srv := startSim(t, nil)
			c, err := New(t.Context(), Options{
				Endpoint: srv.URL, Region: simRegion,
				Credentials: credentials.NewStaticCredentialsProvider(simKeyID, simSecret, ""),
				MaxAttempts: attempts, MaxBackoff: time.Microsecond, HTTPClient: srv.Client(),
				NoRetryQuota: tc.noQuota, Logger: testLogger(t),
			})
			if err != nil {
				t.Fatal(err)
			}
			var before int64
			for i := range calls {
				if i == calls-10 {
					before = sim.Calls()
				}
				_, err := c.Converse(t.Context(), ask(fmt.Sprintf("always failing %d [sim:error=500]", i)))
				_ = wantError(t, err, gateway.KindUnavailable, true)
			}
			if got := sim.Calls() - before; got != tc.lastTen {
				t.Errorf("the last 10 of %d failing calls made %d requests, want %d", calls, got, tc.lastTen)
			}
		})
	}
}
