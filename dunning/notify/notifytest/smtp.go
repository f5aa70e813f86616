package notifytest

import (
	"bytes"
	"io"
	"log"
	"net"
	"net/mail"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"
)

// Message is one email the server accepted.
type Message struct {
	From    string
	To      []string
	Header  mail.Header
	Raw     []byte
	Subject string
}

// SMTPServer is an in-process SMTP server on 127.0.0.1.
type SMTPServer struct {
	Host string
	Port int

	srv *smtp.Server
	mu  sync.Mutex
	got []Message
	// failNext refuses that many DATA commands with a temporary error.
	failNext int
}

// NewSMTPServer starts a server that the test's cleanup stops.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	s := &SMTPServer{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: s}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 10 * time.Second
	s.srv.WriteTimeout = 10 * time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	addr := l.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = s.srv.Close()
		<-done
	})
	return s
}

// FailNext makes the next n messages fail with a temporary SMTP error.
func (s *SMTPServer) FailNext(n int) {
	s.mu.Lock()
	s.failNext = n
	s.mu.Unlock()
}

// Messages returns a copy of every accepted message, in arrival order.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.got...)
}

type session struct {
	srv  *SMTPServer
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.srv.mu.Lock()
	defer x.srv.mu.Unlock()
	if x.srv.failNext > 0 {
		x.srv.failNext--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "unparsable message"}
	}
	dec := new(mimeDecoder)
	x.srv.got = append(x.srv.got, Message{
		From: x.from, To: append([]string(nil), x.to...), Header: m.Header, Raw: raw,
		Subject: dec.header(m.Header.Get("Subject")),
	})
	return nil
}
