package kurrenttest

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// streams implements the Streams service on an eventstore.Store.
type streams struct {
	api.UnimplementedStreamsServer
	store eventstore.Store
}

// Append implements api.StreamsServer: one options message, then the
// proposed messages, answered once the client closes its side.
func (s *streams) Append(srv api.Streams_AppendServer) error {
	ctx := srv.Context()
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "the first append message must carry the options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	expected := expectedFromAppend(opts)
	var events []eventstore.EventData
	for {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		m := req.GetProposedMessage()
		if m == nil {
			return status.Error(codes.InvalidArgument, "only proposed messages may follow the options")
		}
		e, err := proposedToEvent(len(events), m)
		if err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		events = append(events, e)
	}
	if target, ok := strings.CutPrefix(stream, metaStreamPrefix); ok {
		return s.appendMetadata(ctx, srv, target, expected, events)
	}
	res, err := s.store.Append(ctx, stream, expected, events...)
	if resp, ok := wrongVersion(expected, err); ok {
		return srv.SendAndClose(resp)
	}
	if err != nil {
		return statusError(ctx, "Append", stream, expected, err)
	}
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: res.NextExpectedRevision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: res.Position.Commit, PreparePosition: res.Position.Prepare,
		}},
	}}})
}

// appendMetadata handles a write to a metadata stream: the store keeps
// metadata apart from events, so the event becomes SetStreamMetadata.
// The store does not expose the metadata stream's revision or position;
// the response reports revision 0 and no position (the client ignores
// both for metadata writes).
func (s *streams) appendMetadata(ctx context.Context, srv api.Streams_AppendServer, stream string, expected eventstore.ExpectedRevision, events []eventstore.EventData) error {
	if len(events) != 1 || events[0].Type != metadataEventType {
		return status.Errorf(codes.InvalidArgument, "a metadata stream takes exactly one %s event per append", metadataEventType)
	}
	meta, err := decodeMetadata(events[0].Data)
	if err != nil {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	err = s.store.SetStreamMetadata(ctx, stream, expected, meta)
	if resp, ok := wrongVersion(expected, err); ok {
		return srv.SendAndClose(resp)
	}
	if err != nil {
		return statusError(ctx, "Append", metaStreamPrefix+stream, expected, err)
	}
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: 0},
		PositionOption:        &api.AppendResp_Success_NoPosition{},
	}}})
}

// wrongVersion encodes a wrong-expected-version failure of an append as
// the response body KurrentDB uses for it.
func wrongVersion(expected eventstore.ExpectedRevision, err error) (*api.AppendResp, bool) {
	var wev *eventstore.WrongExpectedVersionError
	if !errors.As(err, &wev) {
		return nil, false
	}
	w := &api.AppendResp_WrongExpectedVersion{}
	if wev.Current.Exists {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: wev.Current.Revision}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{}
	}
	switch {
	case expected.IsAny():
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{}
	case expected.IsNoStream():
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{}
	case expected.IsStreamExists():
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{}
	default:
		n, _ := expected.Revision()
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: n}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}, true
}

// Delete implements api.StreamsServer (a soft delete).
func (s *streams) Delete(ctx context.Context, req *api.DeleteReq) (*api.DeleteResp, error) {
	stream := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	expected := expectedFromDelete(req.GetOptions())
	if err := s.store.Delete(ctx, stream, expected); err != nil {
		return nil, statusError(ctx, "Delete", stream, expected, err)
	}
	// The client dereferences the position without checking for
	// no_position; the store does not report one, so it is zero.
	return &api.DeleteResp{PositionOption: &api.DeleteResp_Position_{Position: &api.DeleteResp_Position{}}}, nil
}

// Tombstone implements api.StreamsServer (a hard delete).
func (s *streams) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	stream := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	expected := expectedFromTombstone(req.GetOptions())
	if err := s.store.Tombstone(ctx, stream, expected); err != nil {
		return nil, statusError(ctx, "Delete", stream, expected, err)
	}
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{}}}, nil
}

// metadataEvent presents a stream's metadata as the one event of its
// metadata stream (revision 0: see appendMetadata).
func metadataEvent(stream string, m eventstore.StreamMetadata) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{
		ID:          uuid.NewSHA1(uuid.NameSpaceURL, encodeMetadata(m)),
		Stream:      metaStreamPrefix + stream,
		Type:        metadataEventType,
		ContentType: eventstore.ContentTypeJSON,
		Data:        encodeMetadata(m),
		Created:     time.Now(),
	}
}
