package e2btest

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// EnvKey is the metadata key that names a sandbox's environment.
const EnvKey = "sindri.dev/env"

// Sandboxes returns the ids of the sandboxes whose metadata names env, sorted.
func (f *Fake) Sandboxes(env string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id, sb := range f.sandboxes {
		if sb.Metadata[EnvKey] == env {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// HomeVolume returns the id of env's one sandbox ("" when there is none or more than one).
// A sandbox has no separate volume: pause keeps its filesystem (and memory) and resume brings
// back the same sandbox, so the sandbox is the identity the conformance suite's Persistence
// compares across stop and start; a new sandbox would start from the template's files.
func (f *Fake) HomeVolume(env string) string {
	if ids := f.Sandboxes(env); len(ids) == 1 {
		return ids[0]
	}
	return ""
}

// Templates returns the ids of the team's templates whose name contains part, sorted.
func (f *Fake) Templates(part string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for id, t := range f.templates {
		if slices.ContainsFunc(t.Names, func(n string) bool { return strings.Contains(n, part) }) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Sandbox returns a copy of sandbox id.
func (f *Fake) Sandbox(id string) (Sandbox, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.sandboxes[id]
	if !ok {
		return Sandbox{}, false
	}
	c := *sb
	c.Metadata, c.EnvVars = maps.Clone(sb.Metadata), maps.Clone(sb.EnvVars)
	return c, true
}

// Put adds a running sandbox of the base template as if made elsewhere (a foreign sandbox,
// a duplicate) and returns its id.
func (f *Fake) Put(sb Sandbox) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sb.ID == "" {
		sb.ID = f.next("i", 21)
	}
	if sb.State == "" {
		sb.State = "running"
	}
	if sb.TemplateID == "" {
		sb.TemplateID = baseTemplate.ID
	}
	if sb.EnvdVersion == "" {
		sb.EnvdVersion = f.envdVersion()
	}
	if sb.Secure && sb.EnvdToken == "" {
		sb.EnvdToken = "envd-token-" + sb.ID
	}
	now := time.Now().UTC()
	sb.StartedAt, sb.EndAt = now, now.Add(5*time.Minute)
	f.sandboxes[sb.ID] = &sb
	return sb.ID
}

// Expire runs sandbox id into its timeout: paused when it was created with autoPause, else
// killed (gone).
func (f *Fake) Expire(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.sandboxes[id]
	switch {
	case !ok:
	case sb.AutoPause:
		sb.State, sb.EndAt = "paused", time.Now().UTC()
	default:
		delete(f.sandboxes, id)
	}
}

// Build returns a copy of the last build of template id.
func (f *Fake) Build(templateID string) (Build, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.templates[templateID]
	if !ok || len(t.Builds) == 0 {
		return Build{}, false
	}
	return *t.Builds[len(t.Builds)-1], true
}

// EndIn moves the end of running sandbox id to d from now, as if its timeout had run down.
func (f *Fake) EndIn(id string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if sb, ok := f.sandboxes[id]; ok && sb.State == "running" {
		sb.EndAt = time.Now().UTC().Add(d)
	}
}
