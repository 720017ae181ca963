package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// decodeJSON reads r's body into dst: application/json only, at most
// MaxBodyBytes, no unknown fields, exactly one JSON value. Each failure is a
// problem with its own stable code.
func (a *API) decodeJSON(r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return errUnsupportedMediaType()
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errUnsupportedMediaType()
	}
	limit := a.opt.MaxBodyBytes
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return errInvalidJSON("the body could not be read")
	}
	if int64(len(body)) > limit {
		return errPayloadTooLarge(limit)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errInvalidJSON("the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem turns a decoding error into a problem whose detail says what
// is wrong without echoing the body.
func jsonProblem(err error) *Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errInvalidJSON("the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errInvalidJSON("the body ends in the middle of a JSON value")
	case errors.As(err, &se):
		return errInvalidJSON("syntax error in the JSON body")
	case errors.As(err, &te):
		if te.Field == "" {
			return errInvalidJSON("the body must be a JSON object")
		}
		return errInvalidJSON("field " + safeField(te.Field) + " must be a " + te.Type.String())
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for this; its message is stable.
		return errUnknownField("unknown field " + safeField(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)))
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

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types reach here; they always marshal.
		http.Error(w, `{"code":"internal"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 is replaced,
// as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}
