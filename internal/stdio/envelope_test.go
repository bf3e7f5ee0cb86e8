package stdio

import (
	"encoding/json"
	"reflect"
	"testing"
)

// envelopeSeeds are lines envelope.scan reads itself and ones it leaves to
// json.Unmarshal.
var envelopeSeeds = []struct {
	line    string
	scanned bool
}{
	{`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"generate","arguments":{"model":"m","messages":[{"role":"user","content":"hi \"x\""}]}}}`, true},
	{` { "method" : "ping" , "id" : "a\u0062" , "jsonrpc" : "2.0" } `, true},
	{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, true},
	{`{"jsonrpc":"2.0","id":1,"result":{"a":[1,2.5e3,true,false,null]}}`, true},
	{`{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"x"}}`, true},
	{`{"jsonrpc":"2.0","id":null,"method":"x","params":null}`, true},
	{`{"jsonrpc":"2.0","id":1.5,"method":"x","params":[1]}`, true},
	{`{"jsonrpc":"2.0","id":1,"method":5}`, true},
	{`{"jsonrpc":2,"id":1,"method":"x"}`, false},            // a member of the wrong type: its error
	{`{"JSONRPC":"2.0","id":1,"method":"x"}`, false},        // another case
	{`{"jsonrpc":"2.0","id":1,"id":2,"method":"x"}`, false}, // repeated
	{`{"jsonrpc":"2.0","id":1,"method":"x","extra":1}`, false},
	{`{"jsonrpc":"2.0","id":1,"method":"x"} {}`, false},
	{`{"jsonrpc":"2.0","id":1,"method":"x",}`, false},
	{`{"jsonrpc":"2.0","id":01,"method":"x"}`, false},
	{`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":"\x01"}}`, false},
	{`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":1e999}}`, true}, // valid JSON; the SDK judges the number
	{`[1]`, false}, {`null`, false}, {`{`, false},
}

// TestEnvelopeScan: the usual messages are read without json.Unmarshal,
// and read as it reads them.
func TestEnvelopeScan(t *testing.T) {
	for _, tt := range envelopeSeeds {
		var env envelope
		if got := env.scan([]byte(tt.line)); got != tt.scanned {
			t.Errorf("scan(%s) = %v, want %v", tt.line, got, tt.scanned)
		}
		sameAsUnmarshal(t, []byte(tt.line))
	}
}

// FuzzEnvelopeScan: whatever scan accepts, json.Unmarshal accepts and
// reads the same.
func FuzzEnvelopeScan(f *testing.F) {
	for _, tt := range envelopeSeeds {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(sameAsUnmarshal)
}

func sameAsUnmarshal(t *testing.T, line []byte) {
	t.Helper()
	var fast, slow envelope
	if !fast.scan(line) {
		return
	}
	if err := json.Unmarshal(line, &slow); err != nil || !reflect.DeepEqual(fast, slow) {
		t.Fatalf("scan(%q) = %+v; json.Unmarshal: %+v, %v", line, fast, slow, err)
	}
}
