package config

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestSharedCopyInSync checks the repository's copy of the shared fixtures and upstream schema
// (testdata/shared, which the tests read so that a clean clone is self-contained) against the
// workplace's shared folder when the checkout sits next to it, so that a fixture added there
// is not silently missed here.
func TestSharedCopyInSync(t *testing.T) {
	t.Parallel()
	const shared, copy = "../../../shared", "../../testdata/shared"
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("workplace shared folder not present at %s", shared)
	}
	for _, sub := range []string{"fixtures/sindri-configs", "fixtures/guide-examples", "spec/sindri.schema.json"} {
		root := filepath.Join(shared, sub)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(shared, path)
			a, _ := os.ReadFile(path)
			b, err := os.ReadFile(filepath.Join(copy, rel))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("testdata/shared/%s differs from or is missing against the shared file", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
