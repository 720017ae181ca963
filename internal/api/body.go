package api

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// bufs recycles the buffers a request body is read into and a response is
// built in: the grant path is hot (issue: at most 25 allocations a grant).
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func getBuf() *[]byte  { return bufs.Get().(*[]byte) }
func putBuf(b *[]byte) { *b = (*b)[:0]; bufs.Put(b) }

// decodeOpts: unknown members are an error (a typo must not be ignored),
// and so are duplicate names and invalid UTF-8 (encoding/json/v2 defaults).
var decodeOpts = jsonv2.RejectUnknownMembers(true)

// decodeJSON reads r's body into dst: application/json only, at most
// MaxBodyBytes, no unknown fields, exactly one JSON value. Each failure is a
// problem with its own stable code.
//
// It uses github.com/go-json-experiment/json, the encoding/json/v2
// prototype: strict by default (duplicate names, invalid UTF-8) and one
// allocation for a grant body where encoding/json's Decoder makes ten.
func (a *API) decodeJSON(r *http.Request, dst any) error {
	if ct := header(r.Header, "Content-Type"); ct != "application/json" {
		mt, params, err := mime.ParseMediaType(ct)
		if ct == "" || err != nil || mt != "application/json" {
			return errUnsupportedMediaType()
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return errUnsupportedMediaType()
		}
	}
	limit := a.opt.MaxBodyBytes
	bp := getBuf()
	defer putBuf(bp)
	body, err := readAtMost(r.Body, *bp, limit+1)
	*bp = body[:0]
	if err != nil {
		return errInvalidJSON("the body could not be read")
	}
	if int64(len(body)) > limit {
		return errPayloadTooLarge(limit)
	}
	if err := jsonv2.Unmarshal(body, dst, decodeOpts); err != nil {
		return jsonProblem(err)
	}
	return nil
}

// readAtMost appends up to n bytes of r to buf.
func readAtMost(r io.Reader, buf []byte, n int64) ([]byte, error) {
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		end := cap(buf)
		if int64(end) > n {
			end = int(n)
		}
		m, err := r.Read(buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// jsonProblem turns a decoding error into a problem whose detail says what
// is wrong without echoing the body.
func jsonProblem(err error) *Problem {
	var se *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return errInvalidJSON("the body is empty or ends in the middle of a JSON value")
	case errors.As(err, &se) && errors.Is(se.Err, jsonv2.ErrUnknownName):
		return errUnknownField("unknown field " + safeField(se.JSONPointer.LastToken()))
	case errors.As(err, &se):
		if se.JSONPointer == "" {
			return errInvalidJSON("the body must be a JSON object")
		}
		return errInvalidJSON("field " + safeField(se.JSONPointer.LastToken()) + " has the wrong type")
	case errors.As(err, &syn):
		return errInvalidJSON("the body is not valid JSON (syntax, duplicate names, invalid UTF-8 or trailing data)")
	}
	return errInvalidJSON("the body is not a valid JSON object")
}

// safeField quotes a caller-supplied field name for a detail, cut short and
// limited to plain characters.
func safeField(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			r = '?'
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// Header values that never change are shared slices: assigning one costs no
// allocation, where Header.Set makes a new slice each time. net/http only
// reads them.
var (
	hdrJSON         = []string{"application/json"}
	hdrProblemJSON  = []string{"application/problem+json"}
	hdrNoStore      = []string{"no-store"}
	hdrNoStoreSetCk = []string{`no-store, no-cache="Set-Cookie"`}
	hdrNoSniff      = []string{"nosniff"}
)

// writeJSON writes v with status: encoded by encoding/json/v2 into a pooled
// buffer, then sent with a Content-Length in one write. (Written straight
// to the response, a body over net/http's 2 KiB buffer switches to chunked
// encoding: two socket writes a request instead of one.) The hand-built
// answers (jsonout.go) go through writeAnswer instead.
func writeJSON(w http.ResponseWriter, status int, v any) {
	bb := bodyBufs.Get().(*bytes.Buffer)
	defer func() { bb.Reset(); bodyBufs.Put(bb) }()
	if err := jsonv2.MarshalWrite(bb, v); err != nil {
		// Only our own response types reach here; they always marshal.
		http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
		return
	}
	sendJSON(w, status, bb)
}

// writeAnswer is writeJSON for the hot routes' answers: build is the
// answer's appendJSON, a method value on a stack variable. Passed as an
// interface, the answer (and its cookie slice) escaped to the heap, two
// allocations a request.
func writeAnswer(w http.ResponseWriter, status int, build func([]byte) []byte) {
	bb := bodyBufs.Get().(*bytes.Buffer)
	defer func() { bb.Reset(); bodyBufs.Put(bb) }()
	bb.Write(build(bb.AvailableBuffer()))
	sendJSON(w, status, bb)
}

// sendJSON sends the JSON value in bb, a newline after it, with a
// Content-Length, in one write.
func sendJSON(w http.ResponseWriter, status int, bb *bytes.Buffer) {
	bb.WriteByte('\n')
	h := w.Header()
	h["Content-Type"] = hdrJSON
	if _, ok := h["Cache-Control"]; !ok {
		h["Cache-Control"] = hdrNoStore
	}
	h["Content-Length"] = contentLength(bb.Len())
	w.WriteHeader(status)
	_, _ = w.Write(bb.Bytes())
}

// contentLengths are the Content-Length header values of the body sizes
// tokensvc's answers have, made once: a header value is a slice and a
// string, two allocations an answer otherwise.
var contentLengths = func() (t [4 << 10][]string) {
	for n := range t {
		t[n] = []string{strconv.Itoa(n)}
	}
	return t
}()

// contentLength is the header value for a body of n bytes. Callers must not
// modify it (net/http only reads it).
func contentLength(n int) []string {
	if n < len(contentLengths) {
		return contentLengths[n]
	}
	return []string{strconv.Itoa(n)}
}

var bodyBufs = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 2<<10)) }}

// appendJSONString appends s as a JSON string; invalid UTF-8 is replaced
// with U+FFFD (the error AppendQuote reports for it is not ours to return).
// The strings of a grant (names, cookie values, subjects, paths) are plain
// ASCII that JSON never escapes; those are copied, anything else is the
// library's to quote.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			out, _ := jsontext.AppendQuote(b, s)
			return out
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON marks the bytes a JSON string holds as they are: printable
// ASCII except the quote, the backslash, and the HTML-sensitive <, > and &
// (left to the library whatever its escaping options).
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// header is Header.Get for a key written in canonical form (as every key
// in this package is; the server canonicalizes the request's): the same
// answer without canonicalizing the key again on every call.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
