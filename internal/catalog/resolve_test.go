package catalog

import (
	"errors"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

func TestResolve(t *testing.T) {
	const (
		sonnet45   = "anthropic.claude-sonnet-4-5-20250929-v1:0"
		haiku3     = "anthropic.claude-3-haiku-20240307-v1:0"
		profileARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + sonnet45
		globalARN  = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/global." + sonnet45
		modelARN   = "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"
	)
	tests := []struct {
		region, name string
		wantName     string
		wantID       string
		wantInput    gateway.PicoUSD // per input token
	}{
		// Short names follow the Region's geography.
		{"us-east-1", "nova-pro", "nova-pro", "us.amazon.nova-pro-v1:0", 800_000},
		{"", "nova-pro", "nova-pro", "us.amazon.nova-pro-v1:0", 800_000},
		{"eu-west-1", "nova-pro", "nova-pro", "eu.amazon.nova-pro-v1:0", 1_050_000},
		{"ap-southeast-1", "nova-pro", "nova-pro", "apac.amazon.nova-pro-v1:0", 840_000},
		{"ca-central-1", "nova-pro", "nova-pro", "us.amazon.nova-pro-v1:0", 800_000},
		{"US-EAST-1", "NOVA-Pro", "nova-pro", "us.amazon.nova-pro-v1:0", 800_000},
		{"ap-northeast-1", "claude-sonnet-4-5", "claude-sonnet-4-5", "jp." + sonnet45, 3_300_000},
		{"ap-northeast-1", "claude-haiku-4-5", "claude-haiku-4-5", "global.anthropic.claude-haiku-4-5-20251001-v1:0", 1_000_000},
		{"ap-northeast-1", "nova-pro", "nova-pro", "apac.amazon.nova-pro-v1:0", 840_000},
		// No geography: global if offered, else the bare ID where served.
		{"sa-east-1", "claude-sonnet-4-5", "claude-sonnet-4-5", "global." + sonnet45, 3_000_000},
		{"sa-east-1", "gpt-oss-20b", "gpt-oss-20b", "openai.gpt-oss-20b-1:0", 70_000},
		// Australia has its own profile; prices follow the source Region.
		{"ap-southeast-2", "claude-sonnet-4-5", "claude-sonnet-4-5", "au." + sonnet45, 3_300_000},
		{"eu-west-1", "nova-pro", "nova-pro", "eu.amazon.nova-pro-v1:0", 1_050_000},
		// In-Region-only models use the bare ID.
		{"us-west-2", "mistral-large-2", "mistral-large-2", "mistral.mistral-large-2407-v1:0", 3_000_000},
		// Base IDs: as given, unless only profiles serve the model.
		{"us-east-1", haiku3, "claude-3-haiku", haiku3, 250_000},
		{"eu-west-1", "amazon.nova-pro-v1:0", "nova-pro", "eu.amazon.nova-pro-v1:0", 1_050_000},
		{"us-east-1", "openai.gpt-oss-20b-1:0", "gpt-oss-20b", "openai.gpt-oss-20b-1:0", 70_000},
		// Profile IDs keep the caller's profile and its price.
		{"eu-west-1", "eu." + haiku3, "claude-3-haiku", "eu." + haiku3, 250_000},
		{"us-east-1", "global." + sonnet45, "claude-sonnet-4-5", "global." + sonnet45, 3_000_000},
		{"us-east-1", "US." + strings.ToUpper(sonnet45), "claude-sonnet-4-5", "us." + sonnet45, 3_300_000},
		// ARNs are called as given, priced as the model and profile they name.
		{"us-east-1", profileARN, "claude-sonnet-4-5", profileARN, 3_300_000},
		{"us-east-1", globalARN, "claude-sonnet-4-5", globalARN, 3_000_000},
		{"us-east-1", modelARN, "nova-pro", modelARN, 800_000},
	}
	for _, tt := range tests {
		t.Run(tt.region+"/"+tt.name, func(t *testing.T) {
			c := mustLoad(t, Options{Region: tt.region})
			m, err := c.Resolve(tt.name)
			if err != nil {
				t.Fatalf("Resolve(%q) = %v", tt.name, err)
			}
			if m.Name != tt.wantName || m.ID != tt.wantID {
				t.Errorf("Resolve(%q) = %s as %s, want %s as %s", tt.name, m.Name, m.ID, tt.wantName, tt.wantID)
			}
			if m.Price == nil || m.Price.Input != tt.wantInput {
				t.Errorf("Resolve(%q).Price = %+v, want Input %d", tt.name, m.Price, tt.wantInput)
			}
		})
	}
}

func TestResolveFillsModel(t *testing.T) {
	c := mustLoad(t, Options{})
	got, err := c.Resolve("claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	want := gateway.Model{
		Name:                  "claude-sonnet-4-5",
		ID:                    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
		ContextWindow:         200_000,
		MaxOutputTokens:       64_000,
		DefaultMaxTokens:      4096,
		MinTemperature:        0,
		MaxTemperature:        1,
		SupportsSystem:        true,
		SupportsImages:        true,
		SupportsDocuments:     true,
		SupportsToolUse:       true,
		SupportsStreaming:     true,
		SupportsPromptCaching: true,
		Status:                gateway.StatusLegacy,
		EndOfLife:             "2027-04-08",
		Replacement:           "claude-sonnet-4-6",
		Endpoint:              gateway.EndpointRuntime,
		Rules:                 gateway.Rules{Reasoning: gateway.ReasoningBudget},
		Price: &gateway.Price{
			Input:      3_300_000,
			Output:     16_500_000,
			CacheRead:  330_000,
			CacheWrite: 4_125_000,
		},
	}
	if got.Pricing == nil || len(got.Pricing.Rates) == 0 {
		t.Fatalf("Resolve(claude-sonnet-4-5).Pricing = %+v, want the model's rates", got.Pricing)
	}
	got.Pricing = nil // its rates are checked by TestCostByTierThresholdAndDate
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("Resolve(claude-sonnet-4-5) (-want +got):\n%s", diff)
	}
}

// TestPriceFollowsProfile checks that the regional profiles of Claude 4.5
// and later cost exactly 10% more than their global profile.
func TestPriceFollowsProfile(t *testing.T) {
	from := map[string]string{"us": "us-east-1", "eu": "eu-west-1", "jp": "ap-northeast-1", "apac": "ap-south-1"}
	c := mustLoad(t, Options{})
	tests := []struct {
		base     string
		regional []string
	}{
		{"anthropic.claude-sonnet-4-5-20250929-v1:0", []string{"us", "eu", "jp"}},
		{"anthropic.claude-sonnet-4-6", []string{"us", "eu", "jp"}},
		{"anthropic.claude-haiku-4-5-20251001-v1:0", []string{"us", "eu"}},
		{"anthropic.claude-opus-4-5-20251101-v1:0", []string{"us", "eu"}},
		{"anthropic.claude-opus-4-6-v1", []string{"us", "eu", "jp", "apac"}},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			global, err := c.Resolve("global." + tt.base)
			if err != nil {
				t.Fatal(err)
			}
			g := *global.Price
			want := gateway.Price{Input: g.Input * 11 / 10, Output: g.Output * 11 / 10,
				CacheRead: g.CacheRead * 11 / 10, CacheWrite: g.CacheWrite * 11 / 10}
			if g.CacheReadUnknown || g.CacheWriteUnknown {
				t.Errorf("global cache prices unknown: %+v", g)
			}
			if g.CacheRead != g.Input/10 || g.CacheWrite != g.Input*5/4 {
				t.Errorf("global cache prices %+v, want 0.1x and 1.25x input", g)
			}
			for _, p := range tt.regional {
				m, err := mustLoad(t, Options{Region: from[p]}).Resolve(p + "." + tt.base)
				if err != nil {
					t.Fatal(err)
				}
				if diff := gocmp.Diff(want, *m.Price); diff != "" {
					t.Errorf("%s price (-want +got):\n%s", p, diff)
				}
			}
		})
	}
}

func TestResolveUnknown(t *testing.T) {
	c := mustLoad(t, Options{})
	tests := []struct {
		name     string
		wantKind gateway.ErrorKind
		wantMsg  string
	}{
		{"nova-prp", gateway.KindUnknownModel,
			`unknown model "nova-prp"; did you mean "nova-pro", "nova-lite", "nova-micro"? Call list_models for the full catalog.`},
		{"claude-sonnet-4.5", gateway.KindUnknownModel,
			`unknown model "claude-sonnet-4.5"; did you mean "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-5"? Call list_models for the full catalog.`},
		{"gpt-5", gateway.KindUnknownModel,
			`unknown model "gpt-5"; did you mean "gpt-6", "gpt-5-4", "gpt-5-5"? Call list_models for the full catalog.`},
		{"mixtral-9x", gateway.KindUnknownModel,
			`unknown model "mixtral-9x". Call list_models for the full catalog.`},
		{"apac.anthropic.claude-sonnet-4-5-20250929-v1:0", gateway.KindUnknownModel,
			`unknown model "apac.anthropic.claude-sonnet-4-5-20250929-v1:0": claude-sonnet-4-5 is not offered through the "apac" inference profile, only global, us, eu, jp, au, us-gov; name it "claude-sonnet-4-5" to get the right one for this Region. Call list_models for the full catalog.`},
		{"us.openai.gpt-oss-20b-1:0", gateway.KindUnknownModel,
			`unknown model "us.openai.gpt-oss-20b-1:0": gpt-oss-20b is not offered through inference profiles; use "openai.gpt-oss-20b-1:0". Call list_models for the full catalog.`},
		{"arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3", gateway.KindUnknownModel,
			`unknown model "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3": the catalog cannot know which model an application inference profile uses; name the model or a system inference profile instead. Call list_models for the full catalog.`},
		{"arn:aws:s3:::bucket", gateway.KindUnknownModel,
			`unknown model "arn:aws:s3:::bucket": not a Bedrock ARN. Call list_models for the full catalog.`},
		{"arn:aws:bedrock:us-east-1::foundation-model/acme.nova-pro-v9:0", gateway.KindUnknownModel, ""},
		{"arn:aws:bedrock:us-east-1:123456789012:inference-profile/amazon.nova-pro-v1:0", gateway.KindUnknownModel, ""},
		{"xx.amazon.nova-pro-v1:0", gateway.KindUnknownModel, ""},
		{"  ", gateway.KindInvalidRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Resolve(tt.name)
			var gerr *gateway.Error
			if !errors.As(err, &gerr) {
				t.Fatalf("Resolve(%q) = %v, want a *gateway.Error", tt.name, err)
			}
			if gerr.Kind != tt.wantKind || gerr.Field != "model" {
				t.Errorf("Resolve(%q) kind, field = %s, %q, want %s, \"model\"", tt.name, gerr.Kind, gerr.Field, tt.wantKind)
			}
			if tt.wantMsg != "" && gerr.Message != tt.wantMsg {
				t.Errorf("Resolve(%q) message\n got %s\nwant %s", tt.name, gerr.Message, tt.wantMsg)
			}
		})
	}
}

func TestResolveUnknownHugeName(t *testing.T) {
	c := mustLoad(t, Options{})
	_, err := c.Resolve(strings.Repeat("nova-pro", 100_000))
	if gateway.KindOf(err) != gateway.KindUnknownModel {
		t.Fatalf("Resolve(huge) = %v, want unknown model", err)
	}
	if n := len(err.Error()); n > 400 {
		t.Errorf("Resolve(huge) message is %d bytes, want it cut short", n)
	}
}

func TestResolveReturnsCopies(t *testing.T) {
	c := mustLoad(t, Options{})
	m, err := c.Resolve("nova-pro")
	if err != nil {
		t.Fatal(err)
	}
	m.Price.Input = 1
	again, err := c.Resolve("nova-pro")
	if err != nil {
		t.Fatal(err)
	}
	if again.Price.Input != 800_000 {
		t.Errorf("after changing a resolved price, Resolve(nova-pro).Price.Input = %d, want 800000", again.Price.Input)
	}
}
