package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Scope is a permission an API key carries.
type Scope string

const (
	// ScopeRead allows GET requests.
	ScopeRead Scope = "read"
	// ScopeWrite allows ledger commands, presets, recommendations and
	// backtests.
	ScopeWrite Scope = "write"
	// ScopeAdmin allows collection settings and ad-hoc SQL, and includes
	// read and write.
	ScopeAdmin Scope = "admin"
)

// EnvAPIKeys is the environment variable that configures API keys.
const EnvAPIKeys = "RECOUP_API_KEYS"

// MinKeyLength refuses keys short enough to guess.
const MinKeyLength = 16

// Keys is the set of configured API keys. Only SHA-256 digests are kept,
// and every presented key is compared with every configured digest in
// constant time, so neither timing nor a memory dump reveals a key.
type Keys struct {
	entries []keyEntry
}

type keyEntry struct {
	digest [sha256.Size]byte
	// principal is the key's caller, made once: a request's context
	// holds a pointer to it rather than a copy of its own.
	principal *Principal
}

// ParseKeys reads a key specification such as
// "k_live_0123456789abcdef:read,write;k_admin_0123456789abcdef:admin":
// entries separated by ';', each a key, ':', and comma-separated scopes.
func ParseKeys(spec string) (*Keys, error) {
	k := &Keys{}
	for i, entry := range strings.Split(spec, ";") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, scopeList, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%s entry %d: expected KEY:SCOPES", EnvAPIKeys, i+1)
		}
		if len(key) < MinKeyLength {
			return nil, fmt.Errorf("%s entry %d: key: must be at least %d characters", EnvAPIKeys, i+1, MinKeyLength)
		}
		e := keyEntry{digest: sha256.Sum256([]byte(key))}
		e.principal = &Principal{KeyID: "key_" + hex.EncodeToString(e.digest[:4])}
		for _, s := range strings.Split(scopeList, ",") {
			switch sc := Scope(strings.TrimSpace(s)); sc {
			case ScopeRead, ScopeWrite, ScopeAdmin:
				e.principal.scopes = append(e.principal.scopes, sc)
			default:
				return nil, fmt.Errorf("%s entry %d: scope %q: must be read, write or admin", EnvAPIKeys, i+1, s)
			}
		}
		k.entries = append(k.entries, e)
	}
	if len(k.entries) == 0 {
		return nil, fmt.Errorf("%s: no API key configured (example: %s='<key of 16+ chars>:read,write')", EnvAPIKeys, EnvAPIKeys)
	}
	return k, nil
}

// Principal is the authenticated caller.
type Principal struct {
	KeyID  string
	scopes []Scope
}

// Has reports whether the caller holds scope; admin holds every scope.
func (p Principal) Has(s Scope) bool {
	return slices.Contains(p.scopes, s) || slices.Contains(p.scopes, ScopeAdmin)
}

// lookup returns the principal for a presented key.
func (k *Keys) lookup(presented string) (*Principal, bool) {
	d := sha256.Sum256([]byte(presented))
	found := -1
	for i := range k.entries {
		// No early exit: every entry is compared.
		if subtle.ConstantTimeCompare(d[:], k.entries[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil, false
	}
	return k.entries[found].principal, true
}

type principalKey struct{}

func principalFrom(ctx context.Context) Principal {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok {
		return *p
	}
	return Principal{}
}

// authenticate requires a valid bearer key on every request it wraps.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="recoup"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, CodeUnauthenticated, "Authorization",
				"send an API key as 'Authorization: Bearer <key>'"))
			return
		}
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="recoup"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, CodeInvalidAPIKey, "Authorization",
				"the Authorization header must use the Bearer scheme"))
			return
		}
		p, ok := s.keys.lookup(strings.TrimSpace(token))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="recoup", error="invalid_token"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, CodeInvalidAPIKey, "Authorization", "the API key is not valid"))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// require allows the request only when the caller holds scope.
func require(scope Scope) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !principalFrom(r.Context()).Has(scope) {
				writeProblem(w, newProblem(http.StatusForbidden, CodeForbidden, "Authorization",
					fmt.Sprintf("this API key lacks the %q scope", scope)))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// defaultScope picks the scope a route needs from its method: GET and
// HEAD read, anything else writes. Admin routes say so explicitly.
func defaultScope(next http.Handler) http.Handler {
	read, write := require(ScopeRead)(next), require(ScopeWrite)(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			read.ServeHTTP(w, r)
			return
		}
		write.ServeHTTP(w, r)
	})
}
