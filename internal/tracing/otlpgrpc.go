package tracing

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// gRPC status codes (google.golang.org/grpc/codes), by number.
var grpcCodes = [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

const (
	grpcCancelled         = 1
	grpcUnknown           = 2
	grpcDeadlineExceeded  = 4
	grpcPermissionDenied  = 7
	grpcResourceExhausted = 8
	grpcAborted           = 10
	grpcOutOfRange        = 11
	grpcUnimplemented     = 12
	grpcInternal          = 13
	grpcUnavailable       = 14
	grpcDataLoss          = 15
	grpcUnauthenticated   = 16
)

// grpcStatusError is a call's gRPC status other than OK.
type grpcStatusError struct {
	code int64
	msg  string
}

func (e *grpcStatusError) Error() string {
	name := "code " + strconv.FormatInt(e.code, 10)
	if e.code >= 0 && e.code < int64(len(grpcCodes)) {
		name = grpcCodes[e.code]
	}
	if e.msg == "" {
		return "gRPC status " + name
	}
	return "gRPC status " + name + ": " + e.msg
}

// postGRPC is one unary call of TraceService/Export: body is the framed
// message. Codes the OTLP specification calls retryable are retried
// (RESOURCE_EXHAUSTED only when the server sends RetryInfo), after the
// RetryInfo delay when there is one; so is a failed connection, which
// gRPC calls UNAVAILABLE.
func (c *otlpClient) postGRPC(ctx context.Context, body []byte) error {
	req, err := c.newRequest(ctx, body)
	if err != nil {
		return err
	}
	h := req.Header
	h.Set("Content-Type", "application/grpc")
	h.Set("Te", "trailers")
	h.Set("Grpc-Accept-Encoding", "gzip")
	if c.s.gzip {
		h.Set("Grpc-Encoding", "gzip")
	}
	if dl, ok := ctx.Deadline(); ok {
		h.Set("Grpc-Timeout", grpcTimeout(time.Until(dl)))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &retryable{err: err}
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxOTLPResponse))
	if resp.StatusCode != http.StatusOK {
		// Not from a gRPC server: the gRPC specification's mapping.
		code := int64(grpcUnknown)
		switch resp.StatusCode {
		case http.StatusBadRequest:
			code = grpcInternal
		case http.StatusUnauthorized:
			code = grpcUnauthenticated
		case http.StatusForbidden:
			code = grpcPermissionDenied
		case http.StatusNotFound:
			code = grpcUnimplemented
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			code = grpcUnavailable
		}
		return grpcResult(code, "HTTP "+resp.Status, nil)
	}
	// The status is in the trailers, or in the headers of a
	// Trailers-Only response.
	status := resp.Trailer
	if resp.Header.Get("Grpc-Status") != "" {
		status = resp.Header
	}
	if status.Get("Grpc-Status") == "" {
		if readErr != nil {
			return &retryable{err: fmt.Errorf("reading the response: %w", readErr)}
		}
		return &grpcStatusError{code: grpcInternal, msg: "the response has no grpc-status"}
	}
	code, err := strconv.ParseInt(status.Get("Grpc-Status"), 10, 32)
	if err != nil {
		return &grpcStatusError{code: grpcInternal, msg: fmt.Sprintf("malformed grpc-status %q", status.Get("Grpc-Status"))}
	}
	if code != 0 {
		msg := status.Get("Grpc-Message")
		if m, err := url.PathUnescape(msg); err == nil {
			msg = m
		}
		var delay *time.Duration
		if details := status.Get("Grpc-Status-Details-Bin"); details != "" {
			if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(details, "=")); err == nil {
				_, _, delay = decodeRPCStatus(b)
			}
		}
		return grpcResult(code, msg, delay)
	}
	if readErr != nil {
		return nil // the status is OK; only the partial success is lost
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/grpc") {
		return &grpcStatusError{code: grpcUnknown, msg: fmt.Sprintf("not a gRPC response (content-type %q)", resp.Header.Get("Content-Type"))}
	}
	if msg, err := grpcMessage(data, resp.Header.Get("Grpc-Encoding")); err == nil && msg != nil {
		c.partialSuccess(msg)
	}
	return nil
}

// grpcResult is the error of a failed call with code, retryable when the
// OTLP specification says so.
func grpcResult(code int64, msg string, delay *time.Duration) error {
	err := &grpcStatusError{code: code, msg: msg}
	switch code {
	case grpcCancelled, grpcDeadlineExceeded, grpcAborted, grpcOutOfRange, grpcUnavailable, grpcDataLoss:
	case grpcResourceExhausted:
		if delay == nil { // the server does not say it will recover
			return err
		}
	default:
		return err
	}
	if delay != nil {
		return &retryable{err: err, after: *delay, named: true}
	}
	return &retryable{err: err}
}

// grpcMessage is the message in a unary response body: nil when there is
// none.
func grpcMessage(data []byte, encoding string) ([]byte, error) {
	if len(data) == 0 {
		return nil, nil
	}
	if len(data) < 5 {
		return nil, errors.New("truncated gRPC message")
	}
	n := int(data[1])<<24 | int(data[2])<<16 | int(data[3])<<8 | int(data[4])
	if n > len(data)-5 {
		return nil, errors.New("truncated gRPC message")
	}
	msg := data[5 : 5+n]
	if data[0] == 0 {
		return msg, nil
	}
	if encoding != "gzip" {
		return nil, fmt.Errorf("gRPC message compressed with %q", encoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(msg))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(zr, maxOTLPResponse))
}

// grpcTimeout is a grpc-timeout header value for d: at most 8 digits and
// a unit, rounded up.
func grpcTimeout(d time.Duration) string {
	d = max(d, 1)
	units := []struct {
		d    time.Duration
		name string
	}{{time.Nanosecond, "n"}, {time.Microsecond, "u"}, {time.Millisecond, "m"}, {time.Second, "S"}, {time.Minute, "M"}, {time.Hour, "H"}}
	for _, u := range units {
		if v := (d + u.d - 1) / u.d; v < 1e8 {
			return strconv.FormatInt(int64(v), 10) + u.name
		}
	}
	return "99999999H"
}
