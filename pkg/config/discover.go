package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrConfigNotFound is wrapped by Discover when no sindri.yaml or sindri.yml exists in the
// start directory or any parent.
var ErrConfigNotFound = errors.New("config not found")

// configNames are tried in this order in each directory (contract §1.1).
var configNames = []string{"sindri.yaml", "sindri.yml"}

// Discover walks from dir up to the filesystem root and returns the path of the first
// sindri.yaml (then sindri.yml) it finds. It returns an error wrapping ErrConfigNotFound,
// naming dir, when there is none, and other errors (wrapped) when a directory cannot be read.
func Discover(dir string) (string, error) {
	start, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("config: discover from %s: %w", dir, err)
	}
	for cur := start; ; {
		for _, name := range configNames {
			p := filepath.Join(cur, name)
			fi, err := os.Stat(p)
			switch {
			case err == nil && fi.Mode().IsRegular():
				return p, nil
			case err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrPermission):
				return "", fmt.Errorf("config: discover %s: %w", p, err)
			}
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return "", fmt.Errorf("config: no sindri.yaml or sindri.yml in %s or any parent directory: %w", start, ErrConfigNotFound)
		}
		cur = parent
	}
}
