package github

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	gh "github.com/google/go-github/v60/github"
)

// Validator is what the client keeps of one GET's answer: the ETag GitHub sent and the value
// the client derived from the body (not the body: a comment listing may be megabytes, what
// sindri needs of it is a few ids). A repeated GET sends the ETag as If-None-Match; GitHub
// answers 304 Not Modified, with no body, when nothing changed, and such a 304 does not count
// against the primary rate limit. GitHub's ETags are specific to the token that asked: one
// kept from another token's answer (each workflow job gets a new GITHUB_TOKEN) is answered 200
// as if none had been sent, which costs what an unconditional GET costs.
type Validator struct {
	ETag  string          `json:"etag"`
	Value json.RawMessage `json:"value"`
}

// Validators holds a Client's validators by request (the URL relative to the API base, plus
// what the derived value depends on). It is safe for concurrent use.
type Validators struct {
	mu sync.Mutex
	m  map[string]Validator
	// keep are the keys worth keeping between runs (see Kept); changed is set when one of
	// them changed since the last Load or MarkKept.
	keep    map[string]bool
	changed bool
}

// maxKept bounds how many validators Kept returns, so that an env record stays small.
const maxKept = 16

func newValidators() *Validators {
	return &Validators{m: map[string]Validator{}, keep: map[string]bool{}}
}

// Load adds validators kept by an earlier run (from Kept), e.g. from the environment's
// record. Malformed entries are ignored: the next GET is then unconditional.
func (v *Validators) Load(kept map[string]Validator) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, val := range kept {
		if k == "" || val.ETag == "" || !json.Valid(val.Value) {
			continue
		}
		v.m[k], v.keep[k] = val, true
	}
	v.changed = false
}

// Kept returns the validators of the lookups worth repeating in a later run (the sticky
// comment search and the Deployment listing; not the permission or pull request reads, which
// happen before a run can reach what it keeps), at most 16, and whether any changed since
// Load or the last MarkKept.
func (v *Validators) Kept() (map[string]Validator, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := map[string]Validator{}
	for k := range v.keep {
		if len(out) == maxKept {
			break
		}
		out[k] = v.m[k]
	}
	return out, v.changed
}

// MarkKept records that what Kept returned was stored.
func (v *Validators) MarkKept() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.changed = false
}

func (v *Validators) get(key string) (Validator, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	val, ok := v.m[key]
	return val, ok
}

func (v *Validators) put(key string, val Validator, keep bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if old, ok := v.m[key]; keep && (!ok || old.ETag != val.ETag || !v.keep[key]) {
		v.changed = true
	}
	v.m[key] = val
	if keep {
		v.keep[key] = true
	}
}

func (v *Validators) drop(key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keep[key] {
		v.changed = true
	}
	delete(v.m, key)
	delete(v.keep, key)
}

// Validators returns the client's validators, to keep them between runs (Kept) and give them
// back to a later run's client (Load).
func (c *Client) Validators() *Validators { return c.validators }

// conditional is one conditional GET: u relative to the API base, key naming what the
// derived value depends on (u, and e.g. the environment a listing was searched for), keep
// marking it worth keeping between runs.
type conditional struct {
	op, u, key string
	keep       bool
}

// getConditional GETs q.u, sending the ETag kept for q.key as If-None-Match. A 200 is decoded
// into an R, turned into the value the caller needs with derive, and kept with its ETag; a
// 304 returns the value kept. Errors are *APIError.
func getConditional[R, V any](ctx context.Context, c *Client, q conditional, derive func(R, *gh.Response) V) (V, error) {
	var zero V
	kept, haveKept := c.validators.get(q.key)
	var keptValue V
	if haveKept && json.Unmarshal(kept.Value, &keptValue) != nil {
		c.validators.drop(q.key)
		haveKept = false
	}
	req, err := c.api.NewRequest(http.MethodGet, q.u, nil)
	if err != nil {
		return zero, wrap(q.op, nil, err)
	}
	if haveKept {
		req.Header.Set("If-None-Match", kept.ETag)
	}
	var body R
	resp, err := c.api.Do(ctx, req, &body)
	if resp != nil && resp.StatusCode == http.StatusNotModified && haveKept {
		return keptValue, nil
	}
	if err != nil {
		return zero, wrap(q.op, resp, err)
	}
	v := derive(body, resp)
	if etag := resp.Header.Get("ETag"); etag != "" {
		if raw, err := json.Marshal(v); err == nil {
			c.validators.put(q.key, Validator{ETag: etag, Value: raw}, q.keep)
		}
	}
	return v, nil
}
