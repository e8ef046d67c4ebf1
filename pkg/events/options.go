package events

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Option configures an EnvStore or Leases.
type Option func(*options)

type options struct {
	now func() time.Time
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// WithClock makes the store use now instead of time.Now for timestamps and lease expiry.
// Tests use it to expire leases without waiting.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// KeyValueOpener is the part of jetstream.JetStream that opens a bucket.
type KeyValueOpener interface {
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
}
