package api

import (
	"strconv"
	"time"
)

// The two hot responses (a grant, a refresh) are appended by hand: encoding
// them by reflection was a fifteenth of a grant's CPU. Every other response
// goes through encoding/json/v2. The API tests validate every response
// against openapi.yaml, these included, and TestHandBuiltJSONMatchesTheLibrary
// compares them with the library's output.

// jsonAppender is a response that can append its own JSON.
type jsonAppender interface{ appendJSON(b []byte) []byte }

func appendKey(b []byte, first bool, key string) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

// appendTime appends t as a JSON string, in UTC: every time tokensvc
// answers with is UTC, whatever the host's zone.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendRFC3339(b, t)
	return append(b, '"')
}

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

func (c *cookieJSON) appendJSON(b []byte) []byte {
	b = appendKey(b, true, "cdn")
	b = appendJSONString(b, c.CDN)
	b = appendKey(b, false, "name")
	b = appendJSONString(b, c.Name)
	b = appendKey(b, false, "value")
	b = appendJSONString(b, c.Value)
	if c.Domain != "" {
		b = appendKey(b, false, "domain")
		b = appendJSONString(b, c.Domain)
	}
	b = appendKey(b, false, "path")
	b = appendJSONString(b, c.Path)
	b = appendKey(b, false, "expires")
	b = appendTime(b, c.Expires)
	b = appendKey(b, false, "max_age")
	b = strconv.AppendInt(b, c.MaxAge, 10)
	b = appendKey(b, false, "secure")
	b = appendBool(b, c.Secure)
	b = appendKey(b, false, "http_only")
	b = appendBool(b, c.HTTPOnly)
	b = appendKey(b, false, "same_site")
	return appendJSONString(b, c.SameSite)
}

func (g *grantResponse) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendKey(b, true, "role")
	b = appendJSONString(b, g.Role)
	b = appendKey(b, false, "subject")
	b = appendJSONString(b, g.Subject)
	b = appendKey(b, false, "rolling")
	b = appendBool(b, g.Rolling)
	b = appendKey(b, false, "session_expires_at")
	b = appendTime(b, g.SessionExpiresAt)
	b = appendKey(b, false, "session_cap_at")
	b = appendTime(b, g.SessionCapAt)
	b = appendKey(b, false, "cookies_expire_at")
	b = appendTime(b, g.CookiesExpireAt)
	b = appendKey(b, false, "cookies")
	b = append(b, '[')
	for i := range g.Cookies {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = g.Cookies[i].appendJSON(b)
		b = append(b, '}')
	}
	return append(b, ']', '}')
}

func (r *refreshResponse) appendJSON(b []byte) []byte {
	b = append(b, '{')
	b = appendKey(b, true, "role")
	b = appendJSONString(b, r.Role)
	b = appendKey(b, false, "rolling")
	b = appendBool(b, r.Rolling)
	b = appendKey(b, false, "session_expires_at")
	b = appendTime(b, r.SessionExpiresAt)
	b = appendKey(b, false, "session_cap_at")
	b = appendTime(b, r.SessionCapAt)
	b = appendKey(b, false, "cookies_expire_at")
	b = appendTime(b, r.CookiesExpireAt)
	b = appendKey(b, false, "cdn")
	b = append(b, '[')
	for i, f := range r.CDN {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f)
	}
	return append(b, ']', '}')
}
