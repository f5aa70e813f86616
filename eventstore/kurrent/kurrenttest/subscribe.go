package kurrenttest

import (
	"context"
	"errors"
	"math"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/recoupledger/recoup/eventstore"
)

// subscribeAll serves a catch-up subscription to $all from the store's
// own subscription. As on the server: a confirmation first; then events;
// checkpoints only when a filter is given, every max-search-window ×
// multiplier scanned events (the store's CheckpointInterval); regular
// expression filters are not supported by the double.
func (s *streams) subscribeAll(o *api.ReadReq_Options, srv api.Streams_ReadServer) error {
	// Stopping the server cancels this context, which ends the wait for
	// the next event.
	ctx := srv.Context()
	opts, filtered, err := subscribeOptions(o)
	if err != nil {
		return err
	}
	if err := s.startAt(ctx, o.GetAll(), &opts); err != nil {
		return err
	}
	sub, err := s.store.SubscribeToAll(ctx, opts)
	if err != nil {
		return statusError(ctx, "Subscribe", "$all", eventstore.Any, err)
	}
	defer sub.Close()
	confirm := &api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString(),
	}}}
	if err := srv.Send(confirm); err != nil {
		return err
	}
	for {
		msg, err := sub.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, eventstore.ErrSubscriptionClosed) || errors.Is(err, eventstore.ErrClosed) {
				return status.Error(codes.Unavailable, "Server Is Not Ready")
			}
			return statusError(ctx, "Subscribe", "$all", eventstore.Any, err)
		}
		var resp *api.ReadResp
		switch {
		case msg.Event != nil:
			resp = eventToWire(*msg.Event)
		case msg.Checkpoint != nil && filtered:
			resp = &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
				CommitPosition: msg.Checkpoint.Commit, PreparePosition: msg.Checkpoint.Prepare,
			}}}
		default:
			continue
		}
		if err := srv.Send(resp); err != nil {
			return err
		}
	}
}

// subscribeOptions decodes the filter options of a subscription request.
func subscribeOptions(o *api.ReadReq_Options) (eventstore.SubscribeOptions, bool, error) {
	f := o.GetFilter()
	if f == nil {
		// Unfiltered: the server sends no checkpoints at all.
		return eventstore.SubscribeOptions{CheckpointInterval: math.MaxInt32}, false, nil
	}
	var opts eventstore.SubscribeOptions
	var expr *api.ReadReq_Options_FilterOptions_Expression
	switch {
	case f.GetEventType() != nil:
		expr, opts.Filter.Kind = f.GetEventType(), eventstore.FilterEventType
	case f.GetStreamIdentifier() != nil:
		expr, opts.Filter.Kind = f.GetStreamIdentifier(), eventstore.FilterStreamName
	default:
		return opts, false, status.Error(codes.InvalidArgument, "a filter must match event types or stream names")
	}
	if expr.GetRegex() != "" {
		return opts, false, status.Error(codes.Unimplemented, "regular expression filters are not part of the test double")
	}
	opts.Filter.Prefixes = expr.GetPrefix()
	window := uint64(f.GetMax())
	if window == 0 { // "count" window: no maximum; checkpoint per multiplier events
		window = 1
	}
	mult := uint64(max(f.GetCheckpointIntervalMultiplier(), 1))
	opts.CheckpointInterval = int(min(window*mult, math.MaxInt32))
	return opts, true, nil
}

// startAt sets where the subscription starts: the start of the log, after
// a position, or after the current end.
func (s *streams) startAt(ctx context.Context, all *api.ReadReq_Options_AllOptions, opts *eventstore.SubscribeOptions) error {
	switch p := all.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Start:
		opts.FromStart = true
	case *api.ReadReq_Options_AllOptions_Position:
		opts.From = eventstore.Position{Commit: p.Position.GetCommitPosition(), Prepare: p.Position.GetPreparePosition()}
	default: // end
		last, err := s.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Count: 1})
		if err != nil {
			return statusError(ctx, "Subscribe", "$all", eventstore.Any, err)
		}
		if len(last) == 0 {
			opts.FromStart = true
		} else {
			opts.From = last[0].Position
		}
	}
	return nil
}
