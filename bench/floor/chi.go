package main

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/tokensvc/tokensvc/internal/policy"
	"github.com/tokensvc/tokensvc/internal/signing"
)

// chiHandler is the issue's own reference point, "a plain chi handler with
// no store": the least a chi service does to grant a Cloud CDN cookie. It
// checks the bearer token (constant time), decodes the JSON body with
// encoding/json, checks role and subject with tokensvc's policy (GUEST_NEW
// only), signs one cookie with tokensvc's signer and answers 201 with the Set-Cookie and a JSON body. It has no
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
	pol, err := policy.New(policy.DefaultLifetimes)
	if err != nil {
		return nil, err
	}

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
		d, err := pol.Decide(policy.Role(in.Role), in.Subject, time.Now())
		if err != nil || d.Rule.Role != policy.GuestNew {
			http.Error(w, "bad grant", http.StatusUnprocessableEntity)
			return
		}
		expires := d.Ends
		value, err := signer.SignCookieValue(d.Rule.URLPrefix(cdnBase, d.Subject), expires)
		if err != nil {
			http.Error(w, "signing failed", http.StatusInternalServerError)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: signing.CloudCDNCookieName, Value: value, Path: "/",
			Expires: expires, MaxAge: int(d.Rule.TTL / time.Second), Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
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
