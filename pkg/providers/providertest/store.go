package providertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// EnvState is what the Fake's platform holds for one environment.
type EnvState struct {
	Env   string          `json:"env"`
	State providers.State `json:"state"`
	// Generation is the generation label of the spec last applied by Deploy.
	Generation uint64 `json:"generation,omitempty"`
	// JobID is the job that last changed the environment.
	JobID       string `json:"job_id,omitempty"`
	Image       string `json:"image,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	// Labels are the spec's labels as of the last Deploy.
	Labels map[string]string `json:"labels,omitempty"`
	Handle string            `json:"handle"`
	// Resources are the platform objects that exist ("volume", "machine").
	Resources []string  `json:"resources,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (e *EnvState) has(r string) bool {
	for _, x := range e.Resources {
		if x == r {
			return true
		}
	}
	return false
}

// store keeps environment state in memory or, with a directory, in one JSON file per
// environment (written by rename, so a killed process never leaves a torn file).
type store struct {
	dir string
	mu  sync.Mutex
	m   map[string]EnvState
}

func (s *store) path(env string) string { return filepath.Join(s.dir, "envs", env+".json") }

func (s *store) load(env string) (EnvState, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		st, ok := s.m[env]
		st.Resources = append([]string(nil), st.Resources...)
		return st, ok, nil
	}
	b, err := os.ReadFile(s.path(env))
	if errors.Is(err, fs.ErrNotExist) {
		return EnvState{}, false, nil
	}
	if err != nil {
		return EnvState{}, false, fmt.Errorf("fake: read env %s: %w", env, err)
	}
	var st EnvState
	if err := json.Unmarshal(b, &st); err != nil {
		return EnvState{}, false, fmt.Errorf("fake: decode env %s: %w", env, err)
	}
	return st, true, nil
}

func (s *store) save(st EnvState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		if s.m == nil {
			s.m = map[string]EnvState{}
		}
		st.Resources = append([]string(nil), st.Resources...)
		s.m[st.Env] = st
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.dir, "envs"), 0o755); err != nil {
		return fmt.Errorf("fake: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "envs"), ".tmp-*")
	if err != nil {
		return fmt.Errorf("fake: %w", err)
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("fake: write env %s: %w", st.Env, err)
	}
	if err := os.Rename(tmp.Name(), s.path(st.Env)); err != nil {
		return fmt.Errorf("fake: write env %s: %w", st.Env, err)
	}
	return nil
}

func (s *store) delete(env string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir == "" {
		delete(s.m, env)
		return nil
	}
	if err := os.Remove(s.path(env)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("fake: delete env %s: %w", env, err)
	}
	return nil
}

func (s *store) list() ([]EnvState, error) {
	s.mu.Lock()
	if s.dir == "" {
		out := make([]EnvState, 0, len(s.m))
		for _, st := range s.m {
			out = append(out, st)
		}
		s.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i].Env < out[j].Env })
		return out, nil
	}
	s.mu.Unlock()
	ents, err := os.ReadDir(filepath.Join(s.dir, "envs"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fake: list envs: %w", err)
	}
	var out []EnvState
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		st, found, err := s.load(name)
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, st)
		}
	}
	return out, nil
}
