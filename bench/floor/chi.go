package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tokensvc/tokensvc/internal/signing"
)

// chiHandler is the issue's own reference point, "a plain chi handler with
// no store": the least a chi service does to grant a Cloud CDN cookie. It
// checks the bearer token (constant time), decodes the JSON body with
// encoding/json, checks the subject, signs one cookie with tokensvc's
// signer and answers 201 with the Set-Cookie and a JSON body. It has no
// session store, no access log, no metrics, no request id, no CORS and no
// problem documents: everything tokensvc adds on top of it is missing, so
// the gap between its row and tokensvc's is what those cost.
//
// The key is a Cloud CDN key file (tokensvc keygen --cdn cloudcdn), named
// "bench"; the API token comes from FLOOR_API_TOKEN (never argv, which ps
// shows).
func chiHandler(keyFile, cdnBase string) (http.Handler, error) {
	raw, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := signing.ParseCloudCDNKeyFile(raw)
	if err != nil {
		return nil, err
	}
	signer, err := signing.NewCloudCDN(signing.CloudCDNKey{Name: "bench", Key: key})
	if err != nil {
		return nil, err
	}
	token := os.Getenv("FLOOR_API_TOKEN")
	if token == "" {
		return nil, errors.New("-chi needs FLOOR_API_TOKEN")
	}
	want := []byte("Bearer " + token)

	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	r.Post("/grants", func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var in struct {
			Role    string `json:"role"`
			Subject string `json:"subject"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if in.Role != "GUEST_NEW" || !plainSubject(in.Subject, "guest_") {
			http.Error(w, "bad grant", http.StatusUnprocessableEntity)
			return
		}
		expires := time.Now().Add(20 * time.Minute).Truncate(time.Second)
		value, err := signer.SignCookieValue(cdnBase+"/temp/"+in.Subject+"/", expires)
		if err != nil {
			http.Error(w, "signing failed", http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: signing.CloudCDNCookieName, Value: value, Path: "/",
			Expires: expires, MaxAge: 1200, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(struct {
			Role           string    `json:"role"`
			Subject        string    `json:"subject"`
			CookiesExpires time.Time `json:"cookies_expire_at"`
			Cookie         string    `json:"cookie"`
		}{in.Role, in.Subject, expires.UTC(), value})
	})
	return r, nil
}

// plainSubject is a subject check of the usual kind: the tier's prefix,
// then 1 to 64 of [A-Za-z0-9_-].
func plainSubject(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || rest == "" || len(rest) > 64 {
		return false
	}
	for _, c := range []byte(rest) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
