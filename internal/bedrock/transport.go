package bedrock

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
)

// bodyGuard works around a race between the SDK and net/http that cuts
// ConverseStream answers short and defeats connection reuse.
//
// The SDK wraps each request body in a reader whose WriteTo returns io.EOF
// once the body is closed, and closes the body as soon as the response
// headers arrive. net/http, after writing a body of known length, drains it
// with io.Copy to check its length; io.Copy prefers WriteTo and passes its
// io.EOF on as an error; the transport then closes the connection. When the
// server answers fast (a simulator, a cached error), that happens while the
// event stream is being read: the stream fails with "use of closed network
// connection". Hiding WriteTo makes io.Copy use Read, whose io.EOF means a
// clean end.
//
// A body that is an io.NopCloser of a *bytes.Reader, as the lean Converse
// path sends, is passed on as it is: its WriteTo never fails that way, and
// net/http recognises it as in memory and writes the request's headers and
// body together, in one write, where it flushes the headers of any other
// body first (two writes, two packets).
//
// It also caps the answer: past maxAnswer bytes its body reads fail with
// errAnswerTooLarge, so that a misbehaving upstream (or proxy) cannot grow
// the gateway's memory with one answer.
type bodyGuard struct {
	next      bedrockruntime.HTTPClient
	maxAnswer int64
}

func (g bodyGuard) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && !inMemory(req.Body) {
		req.Body = readOnlyBody{req.Body}
	}
	resp, err := g.next.Do(req)
	if err == nil && resp.Body != nil && g.maxAnswer > 0 {
		resp.Body = &cappedBody{ReadCloser: resp.Body, left: g.maxAnswer}
	}
	return resp, err
}

// nopCloserWriterTo is the type io.NopCloser returns for a reader with
// WriteTo, such as a *bytes.Reader.
var nopCloserWriterTo = reflect.TypeOf(io.NopCloser(bytes.NewReader(nil)))

// inMemory reports whether body is io.NopCloser of a *bytes.Reader, the
// lean path's request bodies, looked into as net/http looks into it.
func inMemory(body io.ReadCloser) bool {
	if reflect.TypeOf(body) != nopCloserWriterTo {
		return false
	}
	_, ok := reflect.ValueOf(body).Field(0).Interface().(*bytes.Reader)
	return ok
}

// DefaultMaxAnswerBytes bounds an answer when Options.MaxAnswerBytes is
// zero: far above what the largest max_tokens produces.
const DefaultMaxAnswerBytes = 16 << 20

// errAnswerTooLarge is the read error of an answer past its cap.
var errAnswerTooLarge = errors.New("the answer is larger than the gateway accepts")

// cappedBody reads at most left bytes, then fails.
type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errAnswerTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// readOnlyBody exposes only Read and Close of a request body.
type readOnlyBody struct {
	io.ReadCloser
}
