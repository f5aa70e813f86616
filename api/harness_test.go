package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/recoupledger/recoup/eventstore"
	espebble "github.com/recoupledger/recoup/eventstore/pebble"
)

// Test keys; each is long enough for ParseKeys.
const (
	readKey  = "test_read_key_0123456789"
	writeKey = "test_write_key_0123456789"
	adminKey = "test_admin_key_0123456789"
)

const testKeySpec = readKey + ":read;" + writeKey + ":read,write;" + adminKey + ":admin"

// harness is a real server on loopback over a Pebble store in a temp dir.
// Every response it receives is validated against the OpenAPI document.
type harness struct {
	t     testing.TB
	dir   string
	store eventstore.Store
	idem  *IdempotencyStore
	api   *Server
	srv   *httptest.Server
}

type harnessOption func(*Config)

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	dir := t.TempDir()
	return openHarness(t, dir, opts...)
}

func openHarness(t testing.TB, dir string, opts ...harnessOption) *harness {
	t.Helper()
	store, err := espebble.Open(filepath.Join(dir, "events"), espebble.Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	idem, err := OpenIdempotencyStore(filepath.Join(dir, "idempotency"), DefaultIdempotencyTTL)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParseKeys(testKeySpec)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Store: store, Keys: keys, Idempotency: idem, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, store: store, idem: idem, api: s, srv: httptest.NewServer(s)}
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	if h.srv == nil {
		return
	}
	h.srv.Close()
	h.api.Close()
	_ = h.idem.Close()
	_ = h.store.Close()
	h.srv = nil
}

// response is a received response with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes a problem response and checks its media type.
func (r *response) problem(t *testing.T) Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.body)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// req sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON). Extra headers come in name, value pairs.
func (h *harness) req(method, path, key string, body any, headers ...string) *response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	r := &response{status: res.StatusCode, header: res.Header, body: b}
	checkAgainstDocument(h.t, h.api.Router(), method, req.URL.Path, r)
	return r
}

func (h *harness) get(path, key string) *response { h.t.Helper(); return h.req("GET", path, key, nil) }
func (h *harness) post(path, key string, body any, headers ...string) *response {
	h.t.Helper()
	return h.req("POST", path, key, body, headers...)
}

func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
}

// ---- OpenAPI validation ----

var (
	docOnce     sync.Once
	docCompiler *jsonschema.Compiler
	docTree     map[string]any
	docErr      error
	schemaMu    sync.Mutex
	schemaCache = map[string]*jsonschema.Schema{}
)

const docURL = "file:///openapi.json"

func loadDocument(t testing.TB) {
	t.Helper()
	docOnce.Do(func() {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(OpenAPIDocument()))
		if err != nil {
			docErr = err
			return
		}
		docTree, _ = inst.(map[string]any)
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		if err := c.AddResource(docURL, inst); err != nil {
			docErr = err
			return
		}
		docCompiler = c
	})
	if docErr != nil {
		t.Fatalf("openapi.json: %v", docErr)
	}
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// checkAgainstDocument finds the operation the router matched, the
// documented response for the status, and validates the body against its
// schema. An undocumented status or media type fails the test.
func checkAgainstDocument(t testing.TB, router chi.Router, method, path string, r *response) {
	t.Helper()
	loadDocument(t)
	rctx := chi.NewRouteContext()
	if !router.Match(rctx, method, path) {
		return // unrouted paths answer the router's own 404/405 problems
	}
	pattern := rctx.RoutePattern()
	paths := docTree["paths"].(map[string]any)
	item, ok := paths[pattern].(map[string]any)
	if !ok {
		t.Fatalf("route %s is not in openapi.json", pattern)
	}
	opObj, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Fatalf("%s %s is not in openapi.json", method, pattern)
	}
	responses := opObj["responses"].(map[string]any)
	code := fmt.Sprint(r.status)
	loc := "#/paths/" + pointerEscape(pattern) + "/" + strings.ToLower(method) + "/responses/"
	respObj, ok := responses[code].(map[string]any)
	if !ok {
		respObj, ok = responses["default"].(map[string]any)
		code = "default"
	}
	if !ok {
		t.Fatalf("%s %s: status %d is not documented", method, pattern, r.status)
	}
	loc += code
	if ref, isRef := respObj["$ref"].(string); isRef {
		loc = ref
		name := strings.TrimPrefix(ref, "#/components/responses/")
		respObj = docTree["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
	}
	content, _ := respObj["content"].(map[string]any)
	if len(r.body) == 0 && content == nil {
		return
	}
	ct := r.header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if _, ok := content[ct]; !ok {
		t.Fatalf("%s %s %d: media type %q is not documented", method, pattern, r.status, ct)
	}
	if !strings.Contains(ct, "json") {
		return
	}
	sch := compileAt(t, loc+"/content/"+pointerEscape(ct)+"/schema")
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, pattern, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s %s %d: response does not match openapi.json: %v\nbody: %s", method, pattern, r.status, err, r.body)
	}
}

func compileAt(t testing.TB, loc string) *jsonschema.Schema {
	t.Helper()
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := schemaCache[loc]; ok {
		return s
	}
	s, err := docCompiler.Compile(docURL + loc)
	if err != nil {
		t.Fatalf("compile %s: %v", loc, err)
	}
	schemaCache[loc] = s
	return s
}

var _ = time.Second
