package cost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// LedgerBucket is the KV bucket of per-repository running spend.
const LedgerBucket = "sindri_spend"

// Ledger keeps, per repository, the hourly estimate of each running environment in one KV
// record, changed only by compare-and-set: two executors reserving for the same repository
// at once cannot both pass its limit, though their environments' leases differ.
type Ledger struct {
	kv jetstream.KeyValue
}

// Spend is one environment's entry in its repository's record.
type Spend struct {
	Provider string  `json:"provider"`
	Hourly   float64 `json:"hourly"`
}

// repoRecord is the stored value: v 1.
type repoRecord struct {
	V    int              `json:"v"`
	Repo string           `json:"repo"`
	Envs map[string]Spend `json:"envs"`
}

// KVCreator is the part of jetstream.JetStream OpenLedger uses.
type KVCreator interface {
	KeyValue(ctx context.Context, bucket string) (jetstream.KeyValue, error)
	CreateKeyValue(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error)
}

// OpenLedger opens the sindri_spend bucket, creating it when missing, with replicas copies
// (0: 1); an existing bucket is left as it is. It looks the bucket up first: an update of an
// existing stream needs the meta leader and every peer, and is refused ("stream is offline")
// while a replica is down, which would hold every executor's start. Errors: the KV error,
// wrapped.
func OpenLedger(ctx context.Context, js KVCreator, replicas int) (*Ledger, error) {
	kv, err := js.KeyValue(ctx, LedgerBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: LedgerBucket, Description: "sindri running spend per repository", History: 1, Replicas: max(replicas, 1)})
		if errors.Is(err, jetstream.ErrBucketExists) || errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			kv, err = js.KeyValue(ctx, LedgerBucket) // another executor made it meanwhile
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cost: open %s: %w", LedgerBucket, err)
	}
	return &Ledger{kv: kv}, nil
}

// maxCAS bounds the compare-and-set attempts of one change.
const maxCAS = 50

func ledgerKey(repo string) string {
	if repo == "" {
		repo = "-"
	}
	return "repo." + strings.ReplaceAll(repo, "/", ".")
}

// Reserve records env's running hourly estimate in repo's record, unless the repository's
// other running environments plus hourly would pass limit (0: no limit), which returns a
// *LimitError and changes nothing. undo puts env's previous entry back (for a job that then
// failed). Errors: *LimitError, or the KV error wrapped.
func (l *Ledger) Reserve(ctx context.Context, repo, env, provider string, hourly, limit float64) (undo func(context.Context) error, err error) {
	var prev *Spend
	err = l.change(ctx, repo, func(rec *repoRecord) error {
		prev = nil
		if s, ok := rec.Envs[env]; ok {
			prev = &s
		}
		others := 0.0
		for e, s := range rec.Envs {
			if e != env {
				others += s.Hourly
			}
		}
		if limit > 0 && others+hourly > limit+1e-9 {
			return &LimitError{Limit: LimitRepoHourly, Value: fmt.Sprintf("%s/h (%s/h for this environment plus %s/h running in %s)", money(others+hourly), money(hourly), money(others), repo), Allowed: money(limit) + "/h"}
		}
		rec.Envs[env] = Spend{Provider: provider, Hourly: hourly}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		return l.change(ctx, repo, func(rec *repoRecord) error {
			if prev == nil {
				delete(rec.Envs, env)
			} else {
				rec.Envs[env] = *prev
			}
			return nil
		})
	}, nil
}

// Release removes env from repo's running spend (it stopped or is gone). It never refuses.
// Errors: the KV error, wrapped.
func (l *Ledger) Release(ctx context.Context, repo, env string) error {
	return l.change(ctx, repo, func(rec *repoRecord) error {
		delete(rec.Envs, env)
		return nil
	})
}

// Repo returns repo's running environments and their spend. Errors: the KV error, wrapped.
func (l *Ledger) Repo(ctx context.Context, repo string) (map[string]Spend, error) {
	rec, _, err := l.get(ctx, repo)
	if err != nil {
		return nil, err
	}
	return rec.Envs, nil
}

// Totals returns the running hourly spend of every repository, by repository and provider.
// Errors: the KV error, wrapped.
func (l *Ledger) Totals(ctx context.Context) (map[[2]string]float64, error) {
	lister, err := l.kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("cost: list %s: %w", LedgerBucket, err)
	}
	out := map[[2]string]float64{}
	for k := range lister.Keys() {
		e, err := l.kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var rec repoRecord
		if json.Unmarshal(e.Value(), &rec) != nil {
			continue
		}
		for _, s := range rec.Envs {
			out[[2]string{rec.Repo, s.Provider}] += s.Hourly
		}
	}
	return out, nil
}

func (l *Ledger) get(ctx context.Context, repo string) (*repoRecord, uint64, error) {
	rec := &repoRecord{V: 1, Repo: repo, Envs: map[string]Spend{}}
	e, err := l.kv.Get(ctx, ledgerKey(repo))
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return rec, 0, nil
	case err != nil:
		return nil, 0, fmt.Errorf("cost: read %s %s: %w", LedgerBucket, repo, err)
	}
	if err := json.Unmarshal(e.Value(), rec); err != nil {
		return nil, 0, fmt.Errorf("cost: %s record of %s is not JSON: %w", LedgerBucket, repo, err)
	}
	if rec.Envs == nil {
		rec.Envs = map[string]Spend{}
	}
	return rec, e.Revision(), nil
}

// change applies fn to repo's record with compare-and-set, again from a fresh read when
// another writer got there first.
func (l *Ledger) change(ctx context.Context, repo string, fn func(*repoRecord) error) error {
	for range maxCAS {
		rec, rev, err := l.get(ctx, repo)
		if err != nil {
			return err
		}
		before := maps.Clone(rec.Envs)
		if err := fn(rec); err != nil {
			return err
		}
		if maps.Equal(before, rec.Envs) {
			return nil
		}
		b, _ := json.Marshal(rec)
		if rev == 0 {
			_, err = l.kv.Create(ctx, ledgerKey(repo), b)
		} else {
			_, err = l.kv.Update(ctx, ledgerKey(repo), b, rev)
		}
		switch {
		case err == nil:
			return nil
		case errors.Is(err, jetstream.ErrKeyExists), errors.Is(err, jetstream.ErrKeyRevisionMismatch), isWrongSequence(err):
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		default:
			return fmt.Errorf("cost: write %s %s: %w", LedgerBucket, repo, err)
		}
	}
	return fmt.Errorf("cost: write %s %s: %d concurrent writers won in a row", LedgerBucket, repo, maxCAS)
}

// isWrongSequence reports a compare-and-set that lost to another writer.
func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
