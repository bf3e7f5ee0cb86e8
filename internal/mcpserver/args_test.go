package mcpserver

import (
	"encoding/json"
	"reflect"
	"testing"
)

// argSeeds are generate arguments that the scanner reads itself and ones
// it leaves to decodeArgs; FuzzGenerateArgsScan starts from them.
var argSeeds = []struct {
	args    string
	scanned bool // read by scanGenerateArgs, not handed to decodeArgs
}{
	{`{"model":"nova-lite","max_tokens":200,"messages":[{"role":"user","content":"What is the capital of France?"}]}`, true},
	{` { "model" : "m" , "messages" : [ { "role" : "user" , "content" : "hi" } ] } `, true},
	{`{"model":"m","system":"s","temperature":0.5,"top_p":1e-1,"cache":false,"stream":true,"reasoning":"low","service_tier":"flex","messages":[]}`, true},
	{`{"model":"m","messages":[{"role":"user","content":"caf\u00e9 \"q\" \n"},{"role":"tool","tool_call_id":"1","content":"r"}]}`, true},
	{`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image","format":"png","data":"iVBORw=="}]}]}`, true},
	{`{"model":"m","messages":[{"role":"user","content":"日本語"}]}`, true},
	{`{"model":"a\nb","system":"\ud83d\ude00","messages":[{"role":"us\u0065r","content":"x"}]}`, true},
	{``, true},
	{`{}`, true},
	{`{"Model":"m"}`, false},                       // another case: encoding/json folds it
	{`{"model":"a","model":"b"}`, false},           // repeated
	{`{"model":null}`, false},                      // null
	{`{"max_tokens":1.5}`, false},                  // not a whole number: its error
	{`{"max_tokens":99999999999999999999}`, false}, // out of range: its error
	{`{"temperature":1e999}`, false},
	{`{"temprature":1}`, false}, // unknown: its error and suggestion
	{`{"model":"m"} x`, false},
	{`{"model":"m",}`, false},
	{`{"mo\u0064el":"m"}`, false},
	{`{"model":"m","messages":[{"role":"user","content":"a\u0000b","content":"c"}]}`, false},
	{`{"model":"m","messages":[{"role":"user","content":{"text":"x"}}]}`, false},
	{`{"model":"m","messages":[{"role":"user","content":"x"},]}`, false},
	{`{"model":"m","stop_sequences":["x"],"messages":[]}`, false},
	{`{"model":"m","messages":[{"role":"user","content":["\x01"]}]}`, false},
	{`{"model":"bad \xff utf-8"}`, false},
	{`[]`, false}, {`null`, false}, {`"x"`, false}, {`{"model":"m"`, false},
}

// TestScanGenerateArgs: the scanner reads the arguments agents usually
// send itself, and reads them as decodeArgs does.
func TestScanGenerateArgs(t *testing.T) {
	for _, tt := range argSeeds {
		var in GenerateInput
		if got := scanGenerateArgs([]byte(tt.args), &in); got != tt.scanned {
			t.Errorf("scanGenerateArgs(%s) = %v, want %v", tt.args, got, tt.scanned)
		}
		sameAsDecodeArgs(t, []byte(tt.args))
	}
}

// FuzzGenerateArgsScan: whatever the arguments, decodeGenerateArgs gives
// what decodeArgs gives: the same input or the same error.
func FuzzGenerateArgsScan(f *testing.F) {
	for _, tt := range argSeeds {
		f.Add([]byte(tt.args))
	}
	f.Fuzz(sameAsDecodeArgs)
}

func sameAsDecodeArgs(t *testing.T, args []byte) {
	t.Helper()
	var fast, slow GenerateInput
	errFast := decodeGenerateArgs(args, &fast)
	errSlow := decodeArgs(args, &slow)
	if (errFast == nil) != (errSlow == nil) || errFast != nil && errFast.Error() != errSlow.Error() {
		t.Fatalf("decodeGenerateArgs(%q) = %v, decodeArgs %v", args, errFast, errSlow)
	}
	if errFast == nil && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("decodeGenerateArgs(%q) = %+v, decodeArgs %+v", args, fast, slow)
	}
}

// BenchmarkGenerateArgs is what reading a cache hit's arguments costs.
func BenchmarkGenerateArgs(b *testing.B) {
	args := json.RawMessage(argSeeds[0].args)
	for _, bb := range []struct {
		name   string
		decode func(json.RawMessage, *GenerateInput) error
	}{
		{"scanned", decodeGenerateArgs},
		{"decodeArgs", func(raw json.RawMessage, in *GenerateInput) error { return decodeArgs(raw, in) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var in GenerateInput
				if err := bb.decode(args, &in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
