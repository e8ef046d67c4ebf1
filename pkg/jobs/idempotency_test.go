package jobs

import (
	"regexp"
	"testing"
	"time"
)

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	base := IdempotencyInput{
		Repo: "acme/app", Env: "app-pr-7", Kind: KindDeploy, Generation: 3,
		SHA: "0123456789abcdef0123456789abcdef01234567", Trigger: "pull_request.synchronize",
		Delivery: RunDelivery("123", "1"),
	}
	k := IdempotencyKey(base)
	if !regexp.MustCompile(`^sj1-[0-9a-f]{32}$`).MatchString(k) {
		t.Fatalf("key %q has the wrong shape", k)
	}
	if again := IdempotencyKey(base); again != k {
		t.Errorf("not deterministic: %q then %q", k, again)
	}
	variants := map[string]func(*IdempotencyInput){
		"repo":        func(in *IdempotencyInput) { in.Repo = "acme/other" },
		"env":         func(in *IdempotencyInput) { in.Env = "app-pr-8" },
		"kind":        func(in *IdempotencyInput) { in.Kind = KindDestroy },
		"generation":  func(in *IdempotencyInput) { in.Generation = 4 },
		"sha":         func(in *IdempotencyInput) { in.SHA = "1123456789abcdef0123456789abcdef01234567" },
		"trigger":     func(in *IdempotencyInput) { in.Trigger = "pull_request.opened" },
		"run attempt": func(in *IdempotencyInput) { in.Delivery = RunDelivery("123", "2") },
		// Field boundaries must not blur: moving a character between fields changes the key.
		"boundary": func(in *IdempotencyInput) { in.Repo, in.Env = "acme/appa", "pp-pr-7" },
	}
	for name, mutate := range variants {
		in := base
		mutate(&in)
		if got := IdempotencyKey(in); got == k {
			t.Errorf("changing %s kept key %q", name, k)
		}
	}
}

func TestJobIdempotencyKeyIgnoresIdentity(t *testing.T) {
	t.Parallel()
	a := validJob(t)
	b := validJob(t) // new id
	b.CreatedAt = a.CreatedAt.Add(time.Minute)
	b.RequestedBy = "someone-else"
	b.Config.Text = "name: other\n"
	if a.ID == b.ID {
		t.Fatal("validJob returned the same id twice")
	}
	if ka, kb := a.IdempotencyKey("run/1/1"), b.IdempotencyKey("run/1/1"); ka != kb {
		t.Errorf("same request, different keys: %s vs %s", ka, kb)
	}
	if ka, kb := a.IdempotencyKey("run/1/1"), a.IdempotencyKey("run/1/2"); ka == kb {
		t.Errorf("a new run attempt kept the key %s", ka)
	}
}
