package stdio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/llm-gateway/llm-gateway/internal/jsonscan"
)

// batchesEndWith is the first MCP protocol version without JSON-RPC
// batches; the SDK refuses them from then on too.
const batchesEndWith = "2025-06-18"

// envelope is one message as it arrives, decoded in one pass. Method and
// ID stay raw so that a wrong type is told apart from a missing member.
type envelope struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  json.RawMessage `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// scan reads the usual message, an object of the envelope's members
// spelt as the specification spells them, each once, in one pass over
// data as json.Unmarshal would read it, and reports whether it could;
// json.Unmarshal reads the others (and words their errors). The members
// point into data, a line of their own.
func (e *envelope) scan(data []byte) bool {
	s := jsonscan.New(data)
	ok := s.Object(func(key []byte) (uint16, bool) {
		var v *json.RawMessage
		var bit uint16
		switch string(key) {
		case "jsonrpc":
			return 1 << 0, s.StrOf(&e.Version, "2.0")
		case "id":
			v, bit = &e.ID, 1<<1
		case "method":
			v, bit = &e.Method, 1<<2
		case "params":
			v, bit = &e.Params, 1<<3
		case "result":
			v, bit = &e.Result, 1<<4
		case "error":
			v, bit = &e.Error, 1<<5
		default:
			return 0, false // json.Unmarshal matches members' names in any case
		}
		var ok bool
		*v, ok = s.Value()
		return bit, ok
	})
	return ok && s.End()
}

// badMessage is a line or batch element that gets an error answer instead
// of reaching the SDK.
type badMessage struct {
	id      *jsonrpc.ID // nil: unknown, answered with a null id
	code    int
	message string
}

// decodeLine turns one line into the messages for the SDK, answering what
// is not a valid message itself.
func (c *conn) decodeLine(data []byte) []jsonrpc.Message {
	data = bytes.TrimSpace(data)
	// RFC 8259 §8.1: JSON text exchanged between systems is UTF-8;
	// encoding/json would quietly replace bad bytes instead.
	if !utf8.Valid(data) {
		c.refuse(nil, jsonrpc.CodeParseError, "parse error: the message is not valid UTF-8")
		return nil
	}
	if data[0] == '[' {
		return c.decodeBatch(data)
	}
	msg, bad := c.decodeOne(data, nil)
	if bad != nil {
		c.refuse(bad.id, bad.code, bad.message)
		return nil
	}
	if msg == nil {
		return nil
	}
	return []jsonrpc.Message{msg}
}

// decodeOne decodes one message. It returns nil and no error for a
// message that needs nothing further (an answer it had to drop). A call
// (a request with an id) is recorded as pending, in batch b if not nil.
func (c *conn) decodeOne(data []byte, b *batch) (jsonrpc.Message, *badMessage) {
	var env envelope
	var err error
	if !env.scan(data) {
		env = envelope{}
		err = json.Unmarshal(data, &env)
	}
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return nil, &badMessage{code: jsonrpc.CodeParseError, message: "parse error: " + err.Error()}
	case len(data) == 0 || data[0] != '{':
		return nil, &badMessage{code: jsonrpc.CodeInvalidRequest, message: "invalid request: a JSON-RPC message is an object"}
	case err != nil: // a member of the wrong type
		id, _ := parseID(env.ID)
		return nil, &badMessage{id: id, code: jsonrpc.CodeInvalidRequest, message: "invalid request: " + err.Error()}
	}
	id, idErr := parseID(env.ID)
	if env.Method == nil {
		if env.Result == nil && env.Error == nil {
			return nil, &badMessage{id: id, code: jsonrpc.CodeInvalidRequest, message: `invalid request: a message has a "method" (a request) or a "result" or "error" (an answer)`}
		}
		// An answer to a request the server sent. Answers are not
		// answered (§5): one the SDK cannot read is dropped.
		msg, err := jsonrpc.DecodeMessage(data)
		if err != nil {
			c.opts.Logger.Warn("stdio: malformed answer from the client dropped", "error", err)
			return nil, nil
		}
		return msg, nil
	}
	if env.Version != "2.0" {
		return nil, &badMessage{id: id, code: jsonrpc.CodeInvalidRequest, message: `invalid request: "jsonrpc" must be "2.0"`}
	}
	method, ok := jsonscan.UnquoteOf(env.Method, "tools/call")
	if !ok || method == "" {
		return nil, &badMessage{id: id, code: jsonrpc.CodeInvalidRequest, message: `invalid request: "method" must be a non-empty string`}
	}
	if idErr != "" {
		return nil, &badMessage{code: jsonrpc.CodeInvalidRequest, message: "invalid request: " + idErr}
	}
	params := env.Params
	switch {
	case bytes.Equal(params, []byte("null")):
		params = nil
	case len(params) > 0 && params[0] != '{' && params[0] != '[':
		return nil, &badMessage{id: id, code: jsonrpc.CodeInvalidRequest, message: `invalid request: "params" must be an object or an array`}
	}
	req := &jsonrpc.Request{Method: method, Params: params}
	if id == nil {
		c.noteNotification(req)
		return req, nil
	}
	req.ID = *id
	if ok, why := c.track(req, b); !ok {
		if strings.HasPrefix(why, "invalid request") {
			// The SDK would answer with a null id too, so as not to confuse
			// the answer with the first call's.
			return nil, &badMessage{code: jsonrpc.CodeInvalidRequest, message: "invalid request: id " + string(env.ID) + " is already used by a call in flight"}
		}
		return nil, &badMessage{id: id, code: CodeBusy, message: why}
	}
	return req, nil
}

// parseID reads a request id: absent (nil, a notification), a string or an
// integer. MCP forbids null, and fractions would be rounded by the SDK, so
// both are refused with a reason.
func parseID(raw json.RawMessage) (*jsonrpc.ID, string) {
	if len(raw) == 0 {
		return nil, ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, "id must be a string or an integer"
		}
		id, _ := jsonrpc.MakeID(s)
		return &id, ""
	case 'n':
		return nil, "id must not be null; leave it out for a notification"
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return nil, "id must be a string or an integer"
	}
	// The SDK carries numeric ids as float64 on the way in; beyond 2^53
	// the answer would name another id (RFC 7493 §2.2).
	if n > 1<<53 || n < -(1<<53) {
		return nil, "a numeric id must be within ±2^53; use a string id"
	}
	id, _ := jsonrpc.MakeID(float64(n))
	return &id, ""
}

// track records a call as pending, or says why not: its id is in flight
// already, or too many calls are.
func (c *conn) track(req *jsonrpc.Request, b *batch) (bool, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.pending[req.ID]; dup {
		return false, "invalid request: id already used by a call in flight"
	}
	if max := c.opts.MaxConcurrent; max > 0 && len(c.pending) >= max {
		return false, fmt.Sprintf("%d calls are in flight, the limit (%s); wait for answers before sending more", len(c.pending), c.opts.ConcurrentSetting)
	}
	delete(c.cut, req.ID)
	c.pending[req.ID] = b
	if b != nil {
		b.waiting++
	}
	if req.Method == "initialize" {
		id := req.ID
		c.initID = &id
	}
	return true, ""
}

// noteNotification forgets a call the client cancelled: the SDK writes no
// answer to it, and a drain must not wait for one.
func (c *conn) noteNotification(req *jsonrpc.Request) {
	if req.Method != "notifications/cancelled" {
		return
	}
	var p struct {
		RequestID json.RawMessage `json:"requestId"`
	}
	if json.Unmarshal(req.Params, &p) != nil {
		return
	}
	id, _ := parseID(p.RequestID)
	if id == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.pending[*id]; ok && b == nil { // a batch waits for every answer
		delete(c.pending, *id)
		c.becameIdle()
	}
}

// noteProtocol learns the negotiated protocol version from the answer to
// initialize, which decides whether batches are allowed.
func (c *conn) noteProtocol(resp *jsonrpc.Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initID == nil || *c.initID != resp.ID {
		return
	}
	c.initID = nil
	var r struct {
		ProtocolVersion string `json:"protocolVersion"`
	}
	if resp.Error == nil && json.Unmarshal(resp.Result, &r) == nil {
		c.protocol = r.ProtocolVersion
	}
}

// batch collects the answers to the calls of one JSON-RPC batch, written
// as one array once the last is in (JSON-RPC 2.0 §6).
type batch struct {
	answers [][]byte
	waiting int
}

func (b *batch) encode() []byte {
	out := []byte{'['}
	for i, a := range b.answers {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, a...)
	}
	return append(out, ']')
}

// decodeBatch handles a JSON-RPC batch. MCP allowed batches from protocol
// version 2025-03-26 until 2025-06-18 removed them, and never for
// initialize; as in the SDK they are accepted only in a session that
// negotiated a version that has them.
func (c *conn) decodeBatch(data []byte) []jsonrpc.Message {
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			c.refuse(nil, jsonrpc.CodeParseError, "parse error: "+err.Error())
		} else {
			c.refuse(nil, jsonrpc.CodeInvalidRequest, "invalid request: "+err.Error())
		}
		return nil
	}
	if len(elems) == 0 {
		c.refuse(nil, jsonrpc.CodeInvalidRequest, "invalid request: an empty batch")
		return nil
	}
	c.mu.Lock()
	protocol := c.protocol
	c.mu.Unlock()
	if protocol == "" || protocol >= batchesEndWith {
		why := "before initialize"
		if protocol != "" {
			why = "in protocol version " + protocol
		}
		c.refuse(nil, jsonrpc.CodeInvalidRequest, "invalid request: JSON-RPC batches are not accepted "+why+" (MCP removed them in "+batchesEndWith+"); send one message per line")
		return nil
	}
	b := &batch{}
	var msgs []jsonrpc.Message
	for _, e := range elems {
		msg, bad := c.decodeOne(e, b)
		switch {
		case bad != nil:
			var id jsonrpc.ID
			if bad.id != nil {
				id = *bad.id
			}
			c.opts.Logger.Warn("stdio: batch element refused", "code", bad.code, "reason", bad.message)
			c.mu.Lock()
			b.answers = append(b.answers, encodeError(id, bad.code, bad.message))
			c.mu.Unlock()
		case msg != nil:
			msgs = append(msgs, msg)
		}
	}
	c.mu.Lock()
	var out []byte
	if b.waiting == 0 && len(b.answers) > 0 { // nothing to wait for: only notifications and refusals
		out = b.encode()
	}
	c.mu.Unlock()
	if out != nil {
		if err := c.writeLine(out); err != nil {
			c.opts.Logger.Warn("stdio: refusal not written", "error", err)
		}
	}
	return msgs
}
