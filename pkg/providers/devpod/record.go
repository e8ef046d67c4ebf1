package devpod

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// record is what this provider keeps next to devpod's registry for each workspace it made:
// what `up` on an existing workspace would not tell (the config hash it was made from) and
// what teardown needs without config (the backend, the volumes).
type record struct {
	ID      string            `json:"id"`
	Env     string            `json:"env"`
	Backend string            `json:"backend"`
	Hash    string            `json:"hash"`
	Image   string            `json:"image"`
	Labels  map[string]string `json:"labels,omitempty"`
	Volumes []string          `json:"volumes,omitempty"`
	// DockerHost is the docker backend's engine, where its volumes are removed.
	DockerHost string `json:"docker_host,omitempty"`
}

// workDir is the workspace's folder under DEVPOD_HOME: its record and, in src/, the source
// folder devpod mounts into the workspace (with .devcontainer/devcontainer.json).
func workDir(home, id string) string { return filepath.Join(home, "sindri", id) }

func srcDir(home, id string) string { return filepath.Join(workDir(home, id), "src") }

// readRecord returns the workspace's record, or nil when there is none (or it is unreadable,
// which Deploy treats as "made from another config").
func readRecord(home, id string) *record {
	b, err := os.ReadFile(filepath.Join(workDir(home, id), "record.json"))
	if err != nil {
		return nil
	}
	var r record
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

// writeRecord writes r atomically.
func writeRecord(home string, r *record) error {
	dir := workDir(home, r.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%s: record: %w", Name, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: record: %w", Name, err)
	}
	tmp := filepath.Join(dir, "record.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("%s: record: %w", Name, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "record.json")); err != nil {
		return fmt.Errorf("%s: record: %w", Name, err)
	}
	return nil
}

// writeSource writes the devcontainer.json into the workspace's source folder.
func writeSource(home, id string, devcontainer []byte) error {
	dir := filepath.Join(srcDir(home, id), ".devcontainer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: devcontainer.json: %w", Name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "devcontainer.json"), devcontainer, 0o644); err != nil {
		return fmt.Errorf("%s: devcontainer.json: %w", Name, err)
	}
	return nil
}

// removeWorkDir removes the workspace's folder; a missing one is success.
func removeWorkDir(home, id string) error {
	if err := os.RemoveAll(workDir(home, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: remove %s: %w", Name, workDir(home, id), err)
	}
	return nil
}
