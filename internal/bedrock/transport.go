package bedrock

import (
	"io"
	"net/http"

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
type bodyGuard struct {
	next bedrockruntime.HTTPClient
}

func (g bodyGuard) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = readOnlyBody{req.Body}
	}
	return g.next.Do(req)
}

// readOnlyBody exposes only Read and Close of a request body.
type readOnlyBody struct {
	io.ReadCloser
}
