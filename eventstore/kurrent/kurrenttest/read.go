package kurrenttest

import (
	"errors"
	"strings"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// Read implements api.StreamsServer: reads of one stream or of $all, and
// subscriptions to $all (a read whose count option is "subscription").
func (s *streams) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o == nil {
		return status.Error(codes.InvalidArgument, "read options are missing")
	}
	_, subscribe := o.GetCountOption().(*api.ReadReq_Options_Subscription)
	switch {
	case o.GetStream() != nil && subscribe:
		return status.Error(codes.Unimplemented, "stream subscriptions are not part of the test double")
	case o.GetStream() != nil:
		return s.readStream(o, srv)
	case o.GetAll() != nil && subscribe:
		return s.subscribeAll(o, srv)
	case o.GetAll() != nil:
		return s.readAll(o, srv)
	}
	return status.Error(codes.InvalidArgument, "read options name neither a stream nor $all")
}

func (s *streams) readStream(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	ctx := srv.Context()
	so := o.GetStream()
	stream := string(so.GetStreamIdentifier().GetStreamName())
	if target, ok := strings.CutPrefix(stream, metaStreamPrefix); ok {
		return s.readMetadata(target, srv)
	}
	if o.GetCount() == 0 {
		return nil
	}
	opts := eventstore.ReadStreamOptions{Count: storeCount(o.GetCount())}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	if backwards {
		opts.Direction = eventstore.Backwards
	}
	endOnly := false
	switch r := so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		opts.From = r.Revision
	case *api.ReadReq_Options_StreamOptions_End:
		if !backwards {
			// Nothing lies after the end, but a missing stream is still
			// reported: read the last event only to learn that.
			opts = eventstore.ReadStreamOptions{Direction: eventstore.Backwards, FromEnd: true, Count: 1}
			endOnly = true
		} else {
			opts.FromEnd = true
		}
	}
	events, err := s.store.ReadStream(ctx, stream, opts)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return srv.Send(streamNotFound(stream))
	}
	if err != nil {
		return statusError(ctx, "Read", stream, eventstore.Any, err)
	}
	if endOnly {
		return nil
	}
	for _, e := range events {
		if err := srv.Send(eventToWire(e)); err != nil {
			return err
		}
	}
	return nil
}

// readMetadata serves a read of a metadata stream from the store's
// metadata: one event, or "not found" when none was ever set.
func (s *streams) readMetadata(stream string, srv api.Streams_ReadServer) error {
	ctx := srv.Context()
	m, err := s.store.StreamMetadata(ctx, stream)
	if err != nil {
		return statusError(ctx, "Read", metaStreamPrefix+stream, eventstore.Any, err)
	}
	if isZero(m) {
		return srv.Send(streamNotFound(metaStreamPrefix + stream))
	}
	return srv.Send(eventToWire(metadataEvent(stream, m)))
}

func (s *streams) readAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	ctx := srv.Context()
	if o.GetCount() == 0 {
		return nil
	}
	opts := eventstore.ReadAllOptions{Count: storeCount(o.GetCount())}
	backwards := o.GetReadDirection() == api.ReadReq_Options_Backwards
	if backwards {
		opts.Direction = eventstore.Backwards
	}
	switch p := o.GetAll().GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Start:
		if backwards {
			return nil // nothing lies before the start
		}
		opts.From = eventstore.Start
	case *api.ReadReq_Options_AllOptions_End:
		if !backwards {
			return nil // nothing lies after the end
		}
		opts.From = eventstore.End
	case *api.ReadReq_Options_AllOptions_Position:
		opts.From = eventstore.Position{Commit: p.Position.GetCommitPosition(), Prepare: p.Position.GetPreparePosition()}
	}
	events, err := s.store.ReadAll(ctx, opts)
	if err != nil {
		return statusError(ctx, "Read", "$all", eventstore.Any, err)
	}
	for _, e := range events {
		if err := srv.Send(eventToWire(e)); err != nil {
			return err
		}
	}
	return nil
}
