package bedrocksim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/smithy-go"
	smithyauth "github.com/aws/smithy-go/auth"

	"github.com/llm-gateway/llm-gateway/internal/bedrocksim"
)

func TestSignatureRefusals(t *testing.T) {
	sim, srv := newSim(t, bedrocksim.Options{})
	tests := []struct {
		name    string
		opt     func(*bedrockruntime.Options)
		code    string
		message string
	}{
		{"wrong secret", func(o *bedrockruntime.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(testKeyID, "not the secret", "")
		}, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."},
		{"unknown access key", func(o *bedrockruntime.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider("AKIDOTHER", testSecret, "")
		}, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"no signature", func(o *bedrockruntime.Options) { o.AuthSchemeResolver = anonymousAuth{} },
			"MissingAuthenticationTokenException", "Missing Authentication Token"},
		{"other region", func(o *bedrockruntime.Options) { o.Region = "eu-west-1" },
			"InvalidSignatureException", "Credential should be scoped to a valid region. "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(srv.URL, tt.opt)
			_, err := c.Converse(t.Context(), input(novaPro, "hello"))
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || statusOf(err) != http.StatusForbidden {
				t.Fatalf("Converse error = %v (status %d), want a 403 API error", err, statusOf(err))
			}
			if apiErr.ErrorCode() != tt.code || apiErr.ErrorMessage() != tt.message {
				t.Errorf("error = %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), tt.code, tt.message)
			}
		})
	}
	if n := sim.Calls(); n != 0 {
		t.Errorf("Calls() = %d, want 0: refused requests are not model invocations", n)
	}
}

// TestSignatureClock checks that the signature's date is judged by the
// simulator's clock, with AWS's 15 minutes of tolerance.
func TestSignatureClock(t *testing.T) {
	for _, tt := range []struct {
		name string
		skew time.Duration // server clock minus signing time
		code string
	}{
		{"in time", 14 * time.Minute, ""},
		{"expired", 16 * time.Minute, "InvalidSignatureException"},
		{"from the future", -16 * time.Minute, "InvalidSignatureException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := bedrocksim.New(bedrocksim.Options{AccessKeyID: testKeyID, SecretAccessKey: testSecret})
			sim.SetNow(func() time.Time { return time.Now().Add(tt.skew) })
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			_, err := newClient(srv.URL).Converse(t.Context(), input(novaPro, "hello"))
			var apiErr smithy.APIError
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("Converse: %v, want success", err)
			case tt.code != "" && (!errors.As(err, &apiErr) || apiErr.ErrorCode() != tt.code):
				t.Errorf("Converse error = %v, want %s", err, tt.code)
			}
		})
	}
}

// TestSignatureRaw signs requests with the SDK's signer directly, to reach
// what the bedrockruntime client never sends.
func TestSignatureRaw(t *testing.T) {
	_, srv := newSim(t, bedrocksim.Options{})
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"[sim:reply=ok]"}]}]}`)
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	tests := []struct {
		name    string
		path    string
		service string
		header  map[string]string // set before signing
		after   map[string]string // set after signing
		status  int
		code    string
	}{
		{name: "signed", path: "/model/amazon.nova-pro-v1%3A0/converse", service: "bedrock", status: 200},
		{name: "signed query and extra headers", path: "/model/amazon.nova-pro-v1%3A0/converse?b=2&a=x%20y&a=1",
			service: "bedrock", header: map[string]string{"X-Extra": "  two   spaces ", "X-Amz-Content-Sha256": bodyHash}, status: 200},
		{name: "ARN path", path: "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Famazon.nova-pro-v1%3A0/converse", service: "bedrock", status: 200},
		{name: "other service", path: "/model/amazon.nova-pro-v1%3A0/converse", service: "bedrock-runtime", status: 403, code: "InvalidSignatureException"},
		{name: "header changed after signing", path: "/model/amazon.nova-pro-v1%3A0/converse", service: "bedrock",
			header: map[string]string{"X-Extra": "a"}, after: map[string]string{"X-Extra": "b"}, status: 403, code: "InvalidSignatureException"},
		{name: "wrong payload hash", path: "/model/amazon.nova-pro-v1%3A0/converse", service: "bedrock",
			header: map[string]string{"X-Amz-Content-Sha256": "00"}, status: 403, code: "InvalidSignatureException"},
		{name: "malformed authorization", path: "/model/amazon.nova-pro-v1%3A0/converse", service: "bedrock",
			after: map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDSIM"}, status: 403, code: "IncompleteSignatureException"},
	}
	signer := v4.NewSigner()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+tt.path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
			if err := signer.SignHTTP(t.Context(), creds, req, bodyHash, tt.service, "us-east-1", time.Now()); err != nil {
				t.Fatalf("SignHTTP: %v", err)
			}
			for k, v := range tt.after {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || resp.Header.Get("X-Amzn-ErrorType") != tt.code {
				t.Errorf("status %d, X-Amzn-ErrorType %q, body %s; want %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), got, tt.status, tt.code)
			}
		})
	}
}

// anonymousAuth makes the SDK send requests unsigned. (Anonymous
// credentials are not enough: bedrockruntime then falls back to its bearer
// token scheme, which needs a token.)
type anonymousAuth struct{}

func (anonymousAuth) ResolveAuthSchemes(context.Context, *bedrockruntime.AuthResolverParameters) ([]*smithyauth.Option, error) {
	return []*smithyauth.Option{{SchemeID: smithyauth.SchemeIDAnonymous}}, nil
}

func TestNoCredentialsAcceptsAnyone(t *testing.T) {
	srv := httptest.NewServer(bedrocksim.New(bedrocksim.Options{}))
	t.Cleanup(srv.Close)
	for name, opt := range map[string]func(*bedrockruntime.Options){
		"unsigned": func(o *bedrockruntime.Options) { o.AuthSchemeResolver = anonymousAuth{} },
		"any signing": func(o *bedrockruntime.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider("ANY", "thing", "")
		},
	} {
		if _, err := newClient(srv.URL, opt).Converse(t.Context(), input(novaPro, "hello")); err != nil {
			t.Errorf("Converse %s: %v", name, err)
		}
	}
}
