package kurrenttest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/recoupledger/recoup/eventstore"
)

// Server is the protocol test double: KurrentDB's Streams, ServerFeatures
// and Gossip gRPC services on a loopback port, backed by an
// eventstore.Store. It can be stopped and restarted on the same port, to
// test what clients do when the connection is lost.
type Server struct {
	store eventstore.Store

	mu      sync.Mutex
	addr    string       // host:port, fixed by the first Start
	grpc    *grpc.Server // nil while stopped
	serving chan struct{}
	err     error // why Serve returned, if it failed
}

// Start serves store on a free loopback port. The caller keeps ownership
// of store (Stop does not close it).
func Start(store eventstore.Store) (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kurrenttest: listen: %w", err)
	}
	s := &Server{store: store, addr: lis.Addr().String()}
	s.serve(lis)
	return s, nil
}

// URL is the connection string for the double (plain text, one node).
func (s *Server) URL() string { return "esdb://" + s.addr + "?tls=false" }

// Addr is the host:port the double listens on.
func (s *Server) Addr() string { return s.addr }

func (s *Server) serve(lis net.Listener) {
	g := grpc.NewServer(
		grpc.MaxRecvMsgSize(17<<20),
		// The client pings every 10 s even without calls in flight, as
		// KurrentDB allows; gRPC's default policy would close such a
		// connection as abusive after a few pings.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	api.RegisterStreamsServer(g, &streams{store: s.store})
	serverfeatures.RegisterServerFeaturesServer(g, features{})
	gossip.RegisterGossipServer(g, &members{addr: s.addr, id: uuid.NewSHA1(uuid.NameSpaceURL, []byte(s.addr))})
	done := make(chan struct{})
	s.mu.Lock()
	s.grpc, s.serving = g, done
	s.mu.Unlock()
	go func() { // owned by the Server: Stop waits for it
		defer close(done)
		if err := g.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
		}
	}()
}

// Stop drops every connection and stops listening, as a crashed or
// restarting node would; calls in flight fail with Unavailable. Stopping
// a stopped server does nothing. It returns the error that ended serving,
// if any.
func (s *Server) Stop() error {
	s.mu.Lock()
	g, done := s.grpc, s.serving
	s.grpc = nil
	s.mu.Unlock()
	if g == nil {
		return nil
	}
	g.Stop()
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Restart serves again on the same port after Stop. The port may take a
// moment to become free again, so binding is retried for a few seconds.
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.grpc != nil
	s.mu.Unlock()
	if running {
		return errors.New("kurrenttest: restart of a running server")
	}
	var lis net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; {
		lis, err = net.Listen("tcp", s.addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("kurrenttest: listen again on %s: %w", s.addr, err)
	}
	s.serve(lis)
	return nil
}
