package bedrocksim_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestGuardrail(t *testing.T) {
	_, c := simClient(t)
	const refusal = "Sorry, the model cannot answer this question."
	blocked := map[string]types.GuardrailAssessment{"gr1abc": {ContentPolicy: &types.GuardrailContentPolicyAssessment{Filters: []types.GuardrailContentFilter{{
		Type: types.GuardrailContentFilterTypeViolence, Confidence: types.GuardrailContentFilterConfidenceHigh,
		FilterStrength: types.GuardrailContentFilterStrengthHigh, Action: types.GuardrailContentPolicyActionBlocked, Detected: aws.Bool(true),
	}}}}}
	guardrail := func(trace types.GuardrailTrace) *types.GuardrailConfiguration {
		return &types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr1abc"), GuardrailVersion: aws.String("DRAFT"), Trace: trace}
	}
	tests := []struct {
		name      string
		prompt    string
		guardrail *types.GuardrailConfiguration
		text      string
		stop      types.StopReason
		trace     map[string]types.GuardrailAssessment // the input assessment, if traced
	}{
		{"guardrail intervenes", "[sim:guardrail] something risky", guardrail(""), refusal, types.StopReasonGuardrailIntervened, nil},
		{"traced intervention", "[sim:guardrail] something risky", guardrail(types.GuardrailTraceEnabled), refusal, types.StopReasonGuardrailIntervened, blocked},
		{"trace disabled", "[sim:guardrail] something risky", guardrail(types.GuardrailTraceDisabled), refusal, types.StopReasonGuardrailIntervened, nil},
		{"no guardrail: the model filters", "[sim:guardrail] something risky", nil, refusal, types.StopReasonContentFiltered, nil},
		{"explicit reason", "[sim:guardrail=content_filtered]", guardrail(types.GuardrailTraceEnabled), refusal, types.StopReasonContentFiltered, nil},
		{"guardrail that lets it pass", "[sim:reply=Fine.]", guardrail(types.GuardrailTraceEnabled), "Fine.", types.StopReasonEndTurn, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(novaPro, tt.prompt)
			in.GuardrailConfig = tt.guardrail
			out, err := c.Converse(t.Context(), in)
			if err != nil {
				t.Fatalf("Converse: %v", err)
			}
			var gotTrace map[string]types.GuardrailAssessment
			if out.Trace != nil && out.Trace.Guardrail != nil {
				gotTrace = out.Trace.Guardrail.InputAssessment
			}
			ignore := cmpopts.IgnoreUnexported(types.GuardrailAssessment{}, types.GuardrailContentPolicyAssessment{}, types.GuardrailContentFilter{})
			if diff := cmp.Diff(tt.trace, gotTrace, ignore); diff != "" {
				t.Errorf("Converse trace input assessment (-want +got):\n%s", diff)
			}
			got, s := bothWays(t, c, in)
			if got.Text != tt.text || got.StopReason != tt.stop {
				t.Errorf("answer = %q (%s), want %q (%s)", got.Text, got.StopReason, tt.text, tt.stop)
			}
			gotTrace = nil
			if s.Trace != nil && s.Trace.Guardrail != nil {
				gotTrace = s.Trace.Guardrail.InputAssessment
			}
			if diff := cmp.Diff(tt.trace, gotTrace, ignore); diff != "" {
				t.Errorf("ConverseStream metadata trace input assessment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGuardrailValidation(t *testing.T) {
	_, c := simClient(t)
	tests := []struct {
		name string
		cfg  types.GuardrailConfiguration
		want string
	}{
		{"bad version", types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("v1")},
			"Value 'v1' at 'guardrailConfig.guardrailVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (|([1-9][0-9]{0,7})|(DRAFT))"},
		{"bad identifier", types.GuardrailConfiguration{GuardrailIdentifier: aws.String("My Guardrail"), GuardrailVersion: aws.String("1")},
			"Value 'My Guardrail' at 'guardrailConfig.guardrailIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"},
		{"bad trace", types.GuardrailConfiguration{GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("1"), Trace: "verbose"},
			"Value 'verbose' at 'guardrailConfig.trace' failed to satisfy constraint: Member must satisfy enum value set: [enabled, disabled, enabled_full]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := input(novaPro, "hello")
			in.GuardrailConfig = &tt.cfg
			_, err := c.Converse(t.Context(), in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("Converse error = %v, want ValidationException %q", err, tt.want)
			}
			_, err = c.ConverseStream(t.Context(), streamInput(in))
			if !errors.As(err, &ve) || ve.ErrorMessage() != tt.want {
				t.Errorf("ConverseStream error = %v, want ValidationException %q", err, tt.want)
			}
		})
	}
	for _, cfg := range []types.GuardrailConfiguration{
		{GuardrailIdentifier: aws.String("arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123"), GuardrailVersion: aws.String("12")},
		{}, // both optional: the account's enforced guardrails
	} {
		in := input(novaPro, "hello")
		in.GuardrailConfig = &cfg
		if _, err := c.Converse(t.Context(), in); err != nil {
			t.Errorf("Converse with guardrail %s/%s: %v", aws.ToString(cfg.GuardrailIdentifier), aws.ToString(cfg.GuardrailVersion), err)
		}
	}
}
