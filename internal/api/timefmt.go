package api

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Formatted timestamps, cached by the second. A grant writes seven (its
// cookies' Expires attributes and the body's times), formatting one costs
// about 100 ns, and every grant of the same second writes the same ones; a
// refresh writes its session's, which do not change between refreshes.
// Times with a fraction of a second are formatted every time.

// timeText is one second, formatted both ways.
type timeText struct {
	sec      int64
	rfc3339  string // 2006-01-02T15:04:05Z
	httpDate string // Mon, 02 Jan 2006 15:04:05 GMT (http.TimeFormat)
}

// timeTexts is direct-mapped by the second: a slot holds the last second
// formatted that maps to it. Readers race only to format a second twice.
var timeTexts [256]atomic.Pointer[timeText]

// textOf returns t (a whole UTC second) formatted, from the cache when it
// is there.
func textOf(t time.Time) *timeText {
	sec := t.Unix()
	slot := &timeTexts[uint64(sec)%uint64(len(timeTexts))]
	if tt := slot.Load(); tt != nil && tt.sec == sec {
		return tt
	}
	tt := &timeText{sec: sec, rfc3339: t.Format(time.RFC3339), httpDate: t.Format(http.TimeFormat)}
	slot.Store(tt)
	return tt
}

// appendRFC3339 appends t in UTC as RFC 3339, with a fraction only when t
// has one: what encoding/json/v2 writes for a UTC time.Time.
func appendRFC3339(b []byte, t time.Time) []byte {
	t = t.UTC()
	if t.Nanosecond() != 0 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	return append(b, textOf(t).rfc3339...)
}

// appendHTTPDate appends t's second in UTC as an HTTP date, as a cookie's
// Expires attribute wants it.
func appendHTTPDate(b []byte, t time.Time) []byte {
	t = t.UTC()
	if t.Nanosecond() != 0 {
		return t.AppendFormat(b, http.TimeFormat)
	}
	return append(b, textOf(t).httpDate...)
}
