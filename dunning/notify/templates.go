package notify

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// funcs are shared by the text and HTML templates.
var funcs = map[string]any{
	"money": FormatAmount,
	"date": func(t *time.Time) string {
		if t == nil {
			return "(no date)"
		}
		return t.UTC().Format("2 January 2006")
	},
}

var (
	textTemplates = texttemplate.Must(texttemplate.New("email").Funcs(funcs).ParseFS(templateFS, "templates/email.txt.tmpl"))
	htmlTemplates = htmltemplate.Must(htmltemplate.New("email").Funcs(funcs).ParseFS(templateFS, "templates/email.html.tmpl"))
)

// Rendered is an email's subject and bodies.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Render renders the templates of e's kind.
func Render(e Email) (Rendered, error) {
	if !validKinds[e.Kind] {
		return Rendered{}, fmt.Errorf("render email: kind: %q has no template", e.Kind)
	}
	var subj, text, html strings.Builder
	if err := textTemplates.ExecuteTemplate(&subj, "subject_"+string(e.Kind), e.Data); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", e.Kind, err)
	}
	if err := textTemplates.ExecuteTemplate(&text, string(e.Kind), e.Data); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", e.Kind, err)
	}
	if err := htmlTemplates.ExecuteTemplate(&html, string(e.Kind), e.Data); err != nil {
		return Rendered{}, fmt.Errorf("render %s html: %w", e.Kind, err)
	}
	return Rendered{Subject: strings.TrimSpace(subj.String()), Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String()}, nil
}
