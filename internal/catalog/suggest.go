package catalog

import (
	"cmp"
	"slices"
	"strings"
)

// maxCompared bounds how much of an unknown name is compared or echoed, so
// that a huge name costs little and yields a readable message.
const maxCompared = 128

// shorten cuts s to maxCompared bytes for display.
func shorten(s string) string {
	if len(s) <= maxCompared {
		return s
	}
	return s[:maxCompared] + "..."
}

// suggest returns up to n catalog names close to an unknown name: by edit
// distance to the short name or the base model ID, then by the longest
// common prefix, then alphabetically. Names that start with what was given
// (at least 3 characters) are always candidates, so "llama" suggests Llamas.
func (c *Catalog) suggest(given string, n int) []string {
	q := strings.ToLower(given)
	if len(q) > maxCompared {
		q = q[:maxCompared]
	}
	// Compare an ARN or a profile ID by the model it names.
	if i := strings.LastIndexByte(q, '/'); i >= 0 {
		q = q[i+1:]
	}
	if p, rest, ok := strings.Cut(q, "."); ok && isProfile(p) {
		q = rest
	}
	if q == "" {
		return nil
	}
	type candidate struct {
		name         string
		dist, prefix int
	}
	limit := max(2, (len(q)+1)/2)
	var cands []candidate
	for _, m := range c.models {
		name := strings.ToLower(m.spec.Name)
		d := min(distance(q, name), distance(q, strings.ToLower(m.spec.ModelID)))
		if d > limit && !(len(q) >= 3 && strings.HasPrefix(name, q)) {
			continue
		}
		cands = append(cands, candidate{m.spec.Name, d, commonPrefix(q, name)})
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(b.prefix, a.prefix), cmp.Compare(a.name, b.name))
	})
	var out []string
	for _, cd := range cands[:min(n, len(cands))] {
		out = append(out, cd.name)
	}
	return out
}

// distance is the Levenshtein edit distance between two byte strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, sub)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}
