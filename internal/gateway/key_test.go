package gateway

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// fill sets every exported field reachable from v to a non-zero value:
// one element in each slice, a value behind each pointer.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("s")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(1)
	case reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Uint8:
		v.SetUint(1)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	default:
		panic("fill: no rule for " + v.Kind().String() + "; teach the test this kind")
	}
}

// leaves calls visit with the path and value of every scalar reachable from
// v, in a fixed order.
func leaves(v reflect.Value, path string, visit func(string, reflect.Value)) {
	switch v.Kind() {
	case reflect.Pointer:
		leaves(v.Elem(), path, visit)
	case reflect.Slice:
		for i := range v.Len() {
			leaves(v.Index(i), path+"[]", visit)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				leaves(v.Field(i), path+"."+f.Name, visit)
			}
		}
	default:
		visit(path, v)
	}
}

// change makes a scalar different from what fill gave it.
func change(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("t")
	case reflect.Bool:
		v.SetBool(false)
	case reflect.Int, reflect.Int64:
		v.SetInt(2)
	case reflect.Float64:
		v.SetFloat(0.25)
	case reflect.Uint8:
		v.SetUint(2)
	}
}

// TestCacheKeyWalksEveryField changes each field of a Call, however deep,
// one at a time, and expects a new key: a field added to Call (or to a
// message, block, tool …) and forgotten by cacheKey fails here by name.
func TestCacheKeyWalksEveryField(t *testing.T) {
	full := func() *Call {
		var c Call
		fill(reflect.ValueOf(&c).Elem())
		return &c
	}
	base := cacheKey(full())
	var paths []string
	leaves(reflect.ValueOf(full()).Elem(), "Call", func(p string, _ reflect.Value) { paths = append(paths, p) })
	if len(paths) < 20 {
		t.Fatalf("walked %d fields of Call, want every one (at least 20)", len(paths))
	}
	for i, path := range paths {
		c := full()
		n := 0
		leaves(reflect.ValueOf(c).Elem(), "Call", func(_ string, v reflect.Value) {
			if n == i {
				change(v)
			}
			n++
		})
		if cacheKey(c) == base {
			t.Errorf("changing %s leaves the cache key as it was: cacheKey must include it", path)
		}
	}
}

// TestCacheKeyStable pins the key of a known call: the keys of answers
// already stored in a shared cache (SQLite, Redis) must not change with
// how cacheKey feeds its hash. A long text and a large block cross the
// writer's buffer, a short one does not.
func TestCacheKeyStable(t *testing.T) {
	long := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)
	c := &Call{
		ModelID:        "us.amazon.nova-lite-v1:0",
		SupportsSystem: true,
		System:         []string{"Be brief.", long},
		Messages: []Message{
			{Role: RoleUser, Content: "What is the capital of France?"},
			{Role: RoleAssistant, Content: long, ToolCalls: []ToolCall{{ID: "t1", Name: "lookup", Arguments: []byte(`{"q":"x"}`)}}},
			{Role: RoleUser, Blocks: []Block{{Type: BlockImage, Format: "png", Data: bytes.Repeat([]byte{7}, 3000)}, {Type: BlockText, Text: "and this?"}}},
		},
		Temperature:   ptr(0.2),
		MaxTokens:     512,
		StopSequences: []string{"\n\nHuman:"},
		Tools:         []Tool{{Name: "lookup", Description: "Looks up.", InputSchema: []byte(`{"type":"object"}`)}},
		ToolChoice:    &ToolChoice{Mode: ToolChoiceAuto},
		ServiceTier:   "flex",
	}
	const want = "d9f36d3fc1d30280c16af9976a85a293a1213f8ddee92eb83e5350cf4b2827cc"
	if got := cacheKey(c); got != want {
		t.Errorf("cacheKey = %s, want %s: the keys of answers already cached would change", got, want)
	}
}
