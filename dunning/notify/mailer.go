package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPConfig says how to reach the mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	From     string
	// StartTLS requires STARTTLS; without it the connection is plain,
	// which is only sensible for a relay on loopback or a private network.
	StartTLS bool
	Timeout  time.Duration
}

// Mailer sends customer emails over SMTP.
type Mailer struct {
	cfg SMTPConfig
}

// NewMailer checks cfg and returns a Mailer.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	switch {
	case cfg.Host == "":
		return nil, errors.New("smtp config: host: must not be empty")
	case cfg.Port <= 0 || cfg.Port > 65535:
		return nil, fmt.Errorf("smtp config: port: %d is not in 1..65535", cfg.Port)
	case cfg.From == "":
		return nil, errors.New("smtp config: from: must not be empty")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &Mailer{cfg: cfg}, nil
}

// Send renders e and delivers it; it returns the Message-ID it carried.
func (m *Mailer) Send(ctx context.Context, e Email) (string, error) {
	if e.To == "" {
		return "", fmt.Errorf("send %s email: to: must not be empty", e.Kind)
	}
	r, err := Render(e)
	if err != nil {
		return "", err
	}
	msg := mail.NewMsg()
	if err := msg.From(m.cfg.From); err != nil {
		return "", fmt.Errorf("send %s email: from: %w", e.Kind, err)
	}
	if err := msg.To(e.To); err != nil {
		return "", fmt.Errorf("send %s email: to: %w", e.Kind, err)
	}
	msg.Subject(r.Subject)
	msg.SetDate()
	if e.MessageID != "" {
		msg.SetMessageIDWithValue(e.MessageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(mail.TypeTextPlain, r.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, r.HTML)

	client, err := mail.NewClient(m.cfg.Host, m.options()...)
	if err != nil {
		return "", fmt.Errorf("send %s email: smtp client: %w", e.Kind, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return "", fmt.Errorf("send %s email to %s: %w", e.Kind, e.To, err)
	}
	return e.MessageID, nil
}

func (m *Mailer) options() []mail.Option {
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(m.cfg.Timeout), mail.WithHELO("recoup")}
	if m.cfg.StartTLS {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if m.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	return opts
}
