package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a webhook's signature, in Stripe's scheme:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>".
const SignatureHeader = "Recoup-Signature"

// DefaultTolerance is how old a signature's timestamp may be before a
// receiver refuses it (api-conventions.md: 5 minutes).
const DefaultTolerance = 5 * time.Minute

// Errors of Verify; match with errors.Is.
var (
	ErrBadSignatureHeader = errors.New("malformed signature header")
	ErrSignatureMismatch  = errors.New("signature does not match")
	ErrSignatureExpired   = errors.New("signature timestamp outside tolerance")
)

// Sign returns the header value for body signed at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a Recoup-Signature header against body as a receiver
// should: the header parses, one v1 signature matches (compared in
// constant time), and the timestamp is within tolerance of now.
func Verify(header string, body, secret []byte, tolerance time.Duration, now time.Time) error {
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignatureMismatch
	}
	sec, _ := strconv.ParseInt(ts, 10, 64) // parseSignature checked it
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s ago", ErrSignatureExpired, d.Round(time.Second))
	}
	return nil
}

// parseSignature splits "t=...,v1=...[,v1=...]"; unknown schemes are
// ignored so that a future scheme can be added beside v1.
func parseSignature(header string) (ts string, sigs [][]byte, err error) {
	for _, part := range strings.Split(header, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrBadSignatureHeader, part)
		}
		switch k {
		case "t":
			if _, perr := strconv.ParseInt(v, 10, 64); perr != nil || ts != "" {
				return "", nil, fmt.Errorf("%w: t: want one unix timestamp", ErrBadSignatureHeader)
			}
			ts = v
		case "v1":
			b, herr := hex.DecodeString(v)
			if herr != nil || len(b) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1: want %d hex bytes", ErrBadSignatureHeader, sha256.Size)
			}
			sigs = append(sigs, b)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: t: missing", ErrBadSignatureHeader)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: v1: missing", ErrBadSignatureHeader)
	}
	return ts, sigs, nil
}
