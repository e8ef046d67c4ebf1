package executor

import (
	"context"
	"errors"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
)

// bindConsumer returns the durable consumer want describes, creating or updating it only when
// it is missing or differs in a setting ConsumerConfig sets. An update, even to the same
// settings, is a proposal to the JetStream meta leader that every server applies: executors
// restarting together (a rollout, a crash loop) would keep the cluster busy with them, and
// one made while a server goes away delays the election of the consumer's next leader.
func bindConsumer(ctx context.Context, js jetstream.JetStream, want jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	cons, err := js.Consumer(ctx, events.JobsStream, want.Durable)
	if err == nil && sameConsumer(cons.CachedInfo().Config, want) {
		return cons, nil
	}
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, err
	}
	return js.CreateOrUpdateConsumer(ctx, events.JobsStream, want)
}

// sameConsumer reports whether got has every setting ConsumerConfig puts in want.
func sameConsumer(got, want jetstream.ConsumerConfig) bool {
	return got.Durable == want.Durable && got.Description == want.Description &&
		got.FilterSubject == want.FilterSubject && len(got.FilterSubjects) == 0 &&
		got.AckPolicy == want.AckPolicy && got.AckWait == want.AckWait &&
		got.MaxDeliver == want.MaxDeliver && got.MaxAckPending == want.MaxAckPending &&
		got.DeliverPolicy == want.DeliverPolicy && slices.Equal(got.BackOff, want.BackOff)
}
