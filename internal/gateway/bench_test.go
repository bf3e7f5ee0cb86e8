package gateway

import (
	"context"
	"strings"
	"testing"
)

// benchRequest is a typical agent request: a system prompt, a short
// conversation and the usual sampling settings.
func benchRequest() *Request {
	return &Request{
		Model:  "nova-pro",
		System: "You are a careful assistant. Answer briefly.",
		Messages: []Message{
			{Role: RoleUser, Content: strings.Repeat("What is the capital of France? ", 8)},
			{Role: RoleAssistant, Content: "Paris."},
			{Role: RoleUser, Content: "And of Spain? Explain how you know in two sentences."},
		},
		Temperature:   ptr(0.2),
		MaxTokens:     512,
		StopSequences: []string{"\n\nHuman:"},
	}
}

func BenchmarkValidate(b *testing.B) {
	req, m := benchRequest(), testModels["nova-pro"]
	for b.Loop() {
		if _, err := validate(req, m, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheKey(b *testing.B) {
	call, err := validate(benchRequest(), testModels["nova-pro"], 1<<20)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cacheKey(call)
	}
}

// BenchmarkGenerateCacheHit is the core's whole path for a repeated
// request: resolve, validate, key, cache lookup, price, record, log.
func BenchmarkGenerateCacheHit(b *testing.B) {
	g, err := New(Options{Catalog: testModels, Provider: &fakeProvider{}, Cache: &mapCache{}, Recorders: []Recorder{nopRecorder{}}})
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest()
	if _, err := g.Generate(b.Context(), req); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		resp, err := g.Generate(b.Context(), req)
		if err != nil || !resp.Cached {
			b.Fatalf("Generate = %+v, %v; want a cached answer", resp, err)
		}
	}
}

// BenchmarkGenerateMiss is the core's path when the provider is called
// (a provider that answers at once), without the cache.
func BenchmarkGenerateMiss(b *testing.B) {
	g, err := New(Options{Catalog: testModels, Provider: &fakeProvider{}, Recorders: []Recorder{nopRecorder{}}})
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest()
	req.NoCache = true
	for b.Loop() {
		if _, err := g.Generate(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

type nopRecorder struct{}

func (nopRecorder) Record(context.Context, Event) {}
