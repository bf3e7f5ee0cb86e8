package ledger_test

import (
	"testing"

	"github.com/llm-gateway/llm-gateway/internal/ledger"
	"github.com/llm-gateway/llm-gateway/internal/ledger/ledgertest"
)

func TestMemoryContract(t *testing.T) {
	ledgertest.RunStoreContract(t, func(t *testing.T) ledger.Store { return ledger.NewMemory() })
}
