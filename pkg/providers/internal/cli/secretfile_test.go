package cli_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

func TestWriteSecretFile(t *testing.T) {
	t.Parallel()
	f, err := cli.WriteSecretFile(t.TempDir(), "vars.env", []byte("TOKEN=abc\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{f.Path: 0o600, filepath.Dir(f.Path): 0o700 | os.ModeDir} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode(); got != want {
			t.Errorf("mode of %s = %v, want %v", path, got, want)
		}
	}
	if b, err := os.ReadFile(f.Path); err != nil || string(b) != "TOKEN=abc\n" {
		t.Errorf("content = %q, %v", b, err)
	}
	if err := f.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(f.Path)); !os.IsNotExist(err) {
		t.Errorf("directory still there after Remove: %v", err)
	}
	if err := f.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if _, err := cli.WriteSecretFile(t.TempDir(), "../x", nil); err == nil {
		t.Error("a name with a slash was accepted")
	}
}

func TestFormatEnvFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		want    string
		wantErr bool
	}{
		{name: "sorted verbatim", vars: map[string]string{"B": "x y #z", "A": `"q"`, "_C1": ""}, want: "A=\"q\"\nB=x y #z\n_C1=\n"},
		{name: "empty", vars: nil, want: ""},
		{name: "newline in value", vars: map[string]string{"K": "a\nb"}, wantErr: true},
		{name: "bad name", vars: map[string]string{"1K": "v"}, wantErr: true},
		{name: "name with equals", vars: map[string]string{"K=V": "v"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := cli.FormatEnvFile(tt.vars)
			if gotErr := errors.Is(err, cli.ErrBadEnvFile); gotErr != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "a\nb") {
				t.Errorf("error shows the value: %v", err)
			}
		})
	}
}
