package catalog

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/llm-gateway/llm-gateway/internal/gateway"
)

var update = flag.Bool("update", false, "rewrite testdata/regions.golden")

// goldenRegions are the source Regions the availability table covers: the
// four geographies with profiles, the two with their own (jp, au),
// GovCloud, and one with no geography at all.
var goldenRegions = []string{
	"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
	"ap-northeast-1", "ap-southeast-2", "us-gov-west-1", "sa-east-1",
}

// TestRegionsGolden resolves every catalog model by its short name from
// each Region of goldenRegions and compares, with testdata/regions.golden,
// what is called (or the refusal) and at what price per 1K tokens, with the
// source of that price. A change to models.json that moves any of these
// shows up here as a diff to review: regenerate with
//
//	go test ./internal/catalog -run TestRegionsGolden -update
func TestRegionsGolden(t *testing.T) {
	var b strings.Builder
	for _, region := range goldenRegions {
		c := mustLoad(t, Options{Region: region})
		for _, e := range c.Models() {
			fmt.Fprintf(&b, "%-15s %-22s ", region, e.Name)
			m, err := c.Resolve(e.Name)
			switch {
			case err != nil:
				if e.Callable || gateway.KindOf(err) != gateway.KindModelNotFound {
					t.Errorf("%s from %s: listed callable=%v but Resolve = %v", e.Name, region, e.Callable, err)
				}
				fmt.Fprintf(&b, "REFUSED %s\n", err)
				continue
			case m.ID != e.ModelID && e.Endpoint == gateway.EndpointRuntime:
				t.Errorf("%s from %s: Resolve calls %s, list_models says %s", e.Name, region, m.ID, e.ModelID)
			}
			if e.Endpoint != gateway.EndpointRuntime {
				fmt.Fprintf(&b, "NOT CALLABLE here: served on %s\n", e.Endpoint)
				continue
			}
			fmt.Fprintf(&b, "%-50s %s\n", m.ID, headline(e))
		}
	}
	got := b.String()
	path := filepath.Join("testdata", "regions.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), got); diff != "" {
		t.Errorf("models by Region differ from %s (-want +got); if the change is right, rerun with -update:\n%s", path, diff)
	}
}

// headline prints an entry's default price and where it comes from.
func headline(e Entry) string {
	if !e.Priced {
		for _, r := range e.Rates {
			if r.ServiceTier == gateway.TierDefault && r.AboveInputTokens == 0 && r.Source != "" {
				return "unpriced [" + r.Source + "]"
			}
		}
		return "unpriced"
	}
	src := "base prices: " + e.Source
	for _, r := range e.Rates {
		if r.ServiceTier == gateway.TierDefault && r.AboveInputTokens == 0 && r.Source != "" &&
			*r.InputCostPer1K == *e.InputCostPer1K && *r.OutputCostPer1K == *e.OutputCostPer1K {
			src = r.Source
		}
	}
	return fmt.Sprintf("in %s out %s per 1K [%s]", dollars(*e.InputCostPer1K), dollars(*e.OutputCostPer1K), src)
}

func dollars(f float64) string { return "$" + strconv.FormatFloat(f, 'f', -1, 64) }
