package devpod_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/devpod"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
)

// `local connect -- CMD` on devpod is `devpod ssh ID --workdir FOLDER --command 'CMD'`: the
// words quoted for the workspace's shell, stdout and stderr apart, and the command's exit
// code handed back; a workspace devpod does not know is ErrNotFound.
func TestExecThroughDevpodSSH(t *testing.T) {
	t.Parallel()
	fake := fakeDevpod(t, "docker", nil, 0, clitest.Rule{Args: []string{"ssh"}, Stdout: "it's here\n", Stderr: "a warning\n", ExitCode: 3})
	p := devpod.New(devpod.Config{Binary: fake.Path, Home: filepath.Join(fake.Dir, "home"), PATH: "/usr/bin:/bin"})
	s := &providers.Spec{Env: "sindri-pr-42"}
	var out, errOut bytes.Buffer
	code, err := p.Exec(t.Context(), s, []string{"sh", "-c", "echo it's here; exit 3"}, &out, &errOut)
	if err != nil || code != 3 {
		t.Fatalf("Exec = %d, %v; want 3, nil", code, err)
	}
	if out.String() != "it's here\n" || !strings.Contains(errOut.String(), "a warning") {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
	calls := fake.Calls(t)
	i := slices.IndexFunc(calls, func(c clitest.Call) bool { return len(c.Args) > 0 && c.Args[0] == "ssh" })
	if i < 0 {
		t.Fatalf("no devpod ssh call: %+v", calls)
	}
	want := []string{"ssh", "sindri-pr-42", "--workdir", "/alt/home/developer/workspace", "--command", `'sh' '-c' 'echo it'\''s here; exit 3'`}
	if got := calls[i].Args; !slices.Equal(got, want) {
		t.Errorf("devpod %q, want devpod %q", got, want)
	}

	gone := fakeDevpod(t, "docker", nil, 99)
	p = devpod.New(devpod.Config{Binary: gone.Path, Home: filepath.Join(gone.Dir, "home"), PATH: "/usr/bin:/bin"})
	if _, err := p.Exec(t.Context(), s, []string{"true"}, &out, &errOut); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Exec in an unknown workspace: %v, want ErrNotFound", err)
	}
	if _, err := p.Connection(t.Context(), s); !errors.Is(err, providers.ErrNotFound) {
		t.Errorf("Connection of an unknown workspace: %v, want ErrNotFound", err)
	}
}
