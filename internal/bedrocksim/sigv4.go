package bedrocksim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SigV4 constants, as the AWS signer and AWS's front end use them.
const (
	sigAlgorithm    = "AWS4-HMAC-SHA256"
	sigService      = "bedrock"
	sigTerminator   = "aws4_request"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	// maxClockSkew is how far the request's X-Amz-Date may be from the
	// server's clock before AWS refuses the signature.
	maxClockSkew    = 15 * time.Minute
	unsignedPayload = "UNSIGNED-PAYLOAD"
)

// sigV4Header is the parsed Authorization header.
type sigV4Header struct {
	accessKeyID, date, region, service, terminator string
	signedHeaders                                  []string
	signature                                      string
}

// verifySignature checks the request's SigV4 signature the way AWS does:
// it rebuilds the canonical request from what was received (the escaped path
// as sent, the signed headers, the SHA-256 of the body), derives the signing
// key from the configured secret, and compares signatures in constant time.
// It returns nil when the simulator has no credentials to check against.
func (s *Server) verifySignature(r *http.Request, body []byte) *apiError {
	if s.opts.AccessKeyID == "" && s.opts.SecretAccessKey == "" {
		return nil
	}
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return authError(codeMissingAuth, "Missing Authentication Token")
	}
	h, aerr := parseAuthorization(authz)
	if aerr != nil {
		return aerr
	}
	if h.accessKeyID != s.opts.AccessKeyID {
		return authError(codeUnrecognized, "The security token included in the request is invalid.")
	}

	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return authError(codeIncompleteSig, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=%s", authz)
	}
	signedAt, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return authError(codeIncompleteSig, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", amzDate)
	}
	now := s.now().UTC()
	if signedAt.Before(now.Add(-maxClockSkew)) {
		return authError(codeInvalidSignature, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.Add(-maxClockSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if signedAt.After(now.Add(maxClockSkew)) {
		return authError(codeInvalidSignature, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			amzDate, now.Add(maxClockSkew).Format(amzDateFormat), now.Format(amzDateFormat))
	}
	if h.date != signedAt.Format(scopeDateFormat) {
		return authError(codeInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			h.date, signedAt.Format(scopeDateFormat), amzDate)
	}
	wantRegion, wantService := s.opts.Region, sigService
	if isPricing(r) {
		// The Price List API is its own service, served from us-east-1.
		wantRegion, wantService = pricingRegion, pricingService
	}
	if h.region != wantRegion {
		return authError(codeInvalidSignature, "Credential should be scoped to a valid region. ")
	}
	if h.service != wantService {
		return authError(codeInvalidSignature, "Credential should be scoped to correct service: '%s'. ", wantService)
	}
	if h.terminator != sigTerminator {
		return authError(codeInvalidSignature, "Credential should be scoped with a valid terminator: '%s', not '%s'. ", sigTerminator, h.terminator)
	}
	if !slices.Contains(h.signedHeaders, "host") {
		return authError(codeInvalidSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" {
		switch {
		case declared == unsignedPayload:
			payloadHash = unsignedPayload
		case declared != payloadHash:
			return authError(codeInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}

	canonical := canonicalRequest(r, h.signedHeaders, payloadHash)
	scope := strings.Join([]string{h.date, h.region, h.service, h.terminator}, "/")
	crHash := sha256.Sum256([]byte(canonical))
	stringToSign := sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])

	key := hmacSHA256([]byte("AWS4"+s.opts.SecretAccessKey), h.date)
	key = hmacSHA256(key, h.region)
	key = hmacSHA256(key, h.service)
	key = hmacSHA256(key, h.terminator)
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(h.signature)) {
		s.log.Debug("signature mismatch", logKeyCanonical, canonical)
		return authError(codeInvalidSignature, "%s", msgBadSignature)
	}
	return nil
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/bedrock/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(authz string) (sigV4Header, *apiError) {
	var h sigV4Header
	rest, ok := strings.CutPrefix(authz, sigAlgorithm+" ")
	if !ok {
		return h, authError(codeIncompleteSig, "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=%s", authz)
	}
	var credential, signedHeaders string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			h.signature = v
		}
	}
	var missing []string
	for _, p := range []struct{ name, value string }{{"Credential", credential}, {"Signature", h.signature}, {"SignedHeaders", signedHeaders}} {
		if p.value == "" {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return h, authError(codeIncompleteSig, "%s Authorization=%s", strings.Join(missing, " "), authz)
	}
	fields := strings.Split(credential, "/")
	if len(fields) != 5 {
		return h, authError(codeIncompleteSig, "Credential should be scoped to a valid region, service and terminator. Credential=%s", credential)
	}
	h.accessKeyID, h.date, h.region, h.service, h.terminator = fields[0], fields[1], fields[2], fields[3], fields[4]
	h.signedHeaders = strings.Split(signedHeaders, ";")
	return h, nil
}

// canonicalRequest builds SigV4's canonical request from the request as
// received. The path is the escaped path from the request line, escaped once
// more: that is what AWS signers do for every service but S3.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(awsEscape(requestPath(r), false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// requestPath is the path exactly as it came on the request line.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if !strings.HasPrefix(p, "/") {
		p = r.URL.EscapedPath()
	}
	p, _, _ = strings.Cut(p, "?")
	if p == "" {
		p = "/"
	}
	return p
}

func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		values = []string{r.Host}
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			values = []string{v}
		} else {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		values = slices.Clone(r.Header.Values(name)) // trimmed below: never edit the request
	}
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// canonicalQuery sorts the query parameters by name, then value, each
// escaped the AWS way.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, _ := url.ParseQuery(raw) // a malformed query only makes the signature mismatch
	escaped := make(map[string][]string, len(q))
	for k, vs := range q {
		ek := awsEscape(k, true)
		for _, v := range vs {
			escaped[ek] = append(escaped[ek], awsEscape(v, true))
		}
	}
	var pairs []string
	for _, k := range slices.Sorted(maps.Keys(escaped)) {
		vs := escaped[k]
		slices.Sort(vs)
		for _, v := range vs {
			pairs = append(pairs, k+"="+v)
		}
	}
	return strings.Join(pairs, "&")
}

// awsEscape percent-encodes every byte but the unreserved characters of
// RFC 3986 (and '/' unless encodeSlash), in upper-case hex, as SigV4 wants.
func awsEscape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
