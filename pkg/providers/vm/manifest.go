package vm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// manifest is what Packer's manifest post-processor writes: one entry per build it ever ran
// into the file, and the uuid of the last run.
type manifest struct {
	Builds []struct {
		Name          string            `json:"name"`
		BuilderType   string            `json:"builder_type"`
		BuildTime     int64             `json:"build_time"`
		ArtifactID    string            `json:"artifact_id"`
		PackerRunUUID string            `json:"packer_run_uuid"`
		CustomData    map[string]string `json:"custom_data"`
	} `json:"builds"`
	LastRunUUID string `json:"last_run_uuid"`
}

// errNoManifestEntry: the manifest has no entry of its last run.
var errNoManifestEntry = errors.New("no build of the last run in the manifest")

// lastRun returns the artifact id, image name and build time of the manifest's entry whose
// packer_run_uuid is its last_run_uuid: entries of earlier runs may remain in the file.
func lastRun(path string) (id, name string, at time.Time, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("packer manifest: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return "", "", time.Time{}, fmt.Errorf("packer manifest: %w", err)
	}
	for i := len(m.Builds) - 1; i >= 0; i-- {
		e := m.Builds[i]
		if e.PackerRunUUID == m.LastRunUUID && m.LastRunUUID != "" {
			return e.ArtifactID, e.CustomData["image_name"], time.Unix(e.BuildTime, 0).UTC(), nil
		}
	}
	return "", "", time.Time{}, fmt.Errorf("packer manifest: %w", errNoManifestEntry)
}
