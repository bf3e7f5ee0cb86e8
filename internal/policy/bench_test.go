package policy_test

import (
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/policy/policytest"
)

func BenchmarkAdmissionMemory(b *testing.B) {
	policytest.BenchmarkAdmission(b, policy.NewMemory())
}
