package kurrenttest

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	"github.com/google/uuid"
)

// Version is the server version the double reports. The client only uses
// it to enable features (persistent subscriptions to $all, batch append)
// that the double does not advertise anyway.
const Version = "24.10.0"

// features implements the ServerFeatures service, which the client calls
// right after connecting.
type features struct {
	serverfeatures.UnimplementedServerFeaturesServer
}

// GetSupportedMethods lists the Streams methods the double implements,
// named as the server names them (lower case).
func (features) GetSupportedMethods(context.Context, *shared.Empty) (*serverfeatures.SupportedMethods, error) {
	const svc = "event_store.client.streams.streams"
	var methods []*serverfeatures.SupportedMethod
	for _, m := range []string{"read", "append", "delete", "tombstone"} {
		methods = append(methods, &serverfeatures.SupportedMethod{ServiceName: svc, MethodName: m})
	}
	return &serverfeatures.SupportedMethods{Methods: methods, EventStoreServerVersion: Version}, nil
}

// members implements the Gossip service as a one-node cluster whose only
// member is the leader, so that connection strings naming several gossip
// seeds (as a cluster's do) can be exercised.
type members struct {
	gossip.UnimplementedGossipServer
	addr string
	id   uuid.UUID
}

// Read reports the cluster: this node, alive and leader.
func (m *members) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	host, port, err := net.SplitHostPort(m.addr)
	if err != nil {
		return nil, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, err
	}
	return &gossip.ClusterInfo{Members: []*gossip.MemberInfo{{
		InstanceId:   uuidToWire(m.id),
		TimeStamp:    time.Now().UnixNano() / 100,
		State:        gossip.MemberInfo_Leader,
		IsAlive:      true,
		HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(p)},
	}}}, nil
}
