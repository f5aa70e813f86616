package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/recoupledger/recoup/eventstore"
)

// ImportLine is one line of an NDJSON import: a command's type, an
// optional idempotency key, and its body.
type ImportLine struct {
	Type           string          `json:"type"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	Data           json.RawMessage `json:"data"`
}

// ImportResult counts what an import applied.
type ImportResult struct {
	Object   string `json:"object"`
	Lines    int    `json:"lines"`
	Events   int    `json:"events"`
	Backfill int    `json:"backfill"`
}

// MaxImportErrors bounds the field errors one import reports.
const MaxImportErrors = 100

type parsedLine struct {
	cmd command
	key string
}

// parseImport reads and checks every line of an NDJSON import without
// writing anything. A failing line's fields are reported as
// lines[N].data.field (N counts from 1) in one validation problem.
func parseImport(r io.Reader, now time.Time) ([]parsedLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxBodyBytes)
	var out []parsedLine
	var errs fields
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		pl, ferrs := parseLine(line, now)
		for _, fe := range ferrs {
			fe.Param = fmt.Sprintf("lines[%d]", n) + joinParam(fe.Param)
			errs = append(errs, fe)
		}
		if len(errs) >= MaxImportErrors {
			break
		}
		if len(ferrs) == 0 {
			out = append(out, pl)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			errs.add(fmt.Sprintf("lines[%d]", n+1), CodeBodyTooLarge, "a line exceeds 1 MiB")
		} else {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, asBodyProblem(err)
			}
			return nil, fmt.Errorf("read import: %w", err)
		}
	}
	if len(errs) > 0 {
		return nil, validationProblem(errs)
	}
	return out, nil
}

// joinParam appends a line's param p to the path before it: "" and "$"
// (the whole value) add nothing, an index or an empty member name ([...])
// is appended as it is, a member name after a dot.
func joinParam(p string) string {
	switch {
	case p == "" || p == "$":
		return ""
	case strings.HasPrefix(p, "["):
		return p
	}
	return "." + p
}

// parseLine decodes one line strictly: the envelope, then the command.
func parseLine(line []byte, now time.Time) (parsedLine, []FieldError) {
	var env ImportLine
	if err := decodeBytes(line, &env); err != nil {
		return parsedLine{}, problemFields(err)
	}
	mk, ok := commandKinds[env.Type]
	if !ok {
		return parsedLine{}, []FieldError{{Param: "type", Code: CodeInvalidValue, Detail: fmt.Sprintf("must be one of %v, got %q", commandNames(), env.Type)}}
	}
	if len(env.IdempotencyKey) > MaxIdempotencyKeyLength {
		return parsedLine{}, []FieldError{{Param: "idempotency_key", Code: CodeIdempotencyKeyBad, Detail: "must be at most 255 characters"}}
	}
	cmd := mk()
	cmd.setNow(now)
	if err := decodeBytes(env.Data, cmd); err != nil {
		fs := problemFields(err)
		for i := range fs {
			fs[i].Param = "data" + joinParam(fs[i].Param)
		}
		return parsedLine{}, fs
	}
	return parsedLine{cmd: cmd, key: env.IdempotencyKey}, nil
}

// problemFields flattens a decode problem into field errors.
func problemFields(err error) []FieldError {
	p := asProblem(err)
	if len(p.Errors) > 0 {
		return p.Errors
	}
	return []FieldError{{Param: p.Param, Code: p.Code, Detail: p.Detail}}
}

// applyImport appends parsed lines in order; progress, if not nil, is
// called after each line. Re-running an import appends nothing new.
func applyImport(ctx context.Context, store eventstore.Store, lines []parsedLine, progress func(done int)) (ImportResult, error) {
	res := ImportResult{Object: "import_result"}
	for i, pl := range lines {
		rc, err := applyCommand(ctx, store, pl.cmd, "import", pl.key)
		if err != nil {
			return res, fmt.Errorf("import line %d of %d: %w", i+1, len(lines), err)
		}
		res.Lines++
		res.Events += len(rc.Events)
		if rc.Backfill {
			res.Backfill++
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	return res, nil
}

// Import parses a whole NDJSON stream, then applies it: a bad line means
// nothing is written.
func Import(ctx context.Context, store eventstore.Store, r io.Reader, now time.Time, progress func(done, total int)) (ImportResult, error) {
	lines, err := parseImport(r, now)
	if err != nil {
		return ImportResult{}, err
	}
	var p func(int)
	if progress != nil {
		p = func(d int) { progress(d, len(lines)) }
	}
	return applyImport(ctx, store, lines, p)
}

func (s *Server) mountImport(r chi.Router) {
	r.Post("/v1/ledger/import", s.handle(s.postImport))
}

func (s *Server) postImport(w http.ResponseWriter, r *http.Request) error {
	res, err := Import(r.Context(), s.store, r.Body, s.now(), nil)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}
