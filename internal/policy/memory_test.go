package policy_test

import (
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/policy"
	"github.com/llm-gateway/llm-gateway/internal/policy/policytest"
)

func TestMemoryContract(t *testing.T) {
	policytest.Run(t, func(*testing.T) policy.State { return policy.NewMemory() })
}
