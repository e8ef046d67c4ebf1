package clitest_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli/clitest"
	"github.com/sindri/deploy/v3/pkg/providers/providertest/golden"
)

func TestMain(m *testing.M) {
	clitest.Main()
	os.Exit(m.Run())
}

const token = "tok-0123456789"

// newPacker installs a fake packer whose "build" fails with exit code 2 and whose "version"
// prints a version.
func newPacker(t *testing.T) *clitest.Fake {
	t.Helper()
	return clitest.New(t, clitest.Script{
		Name:      "packer",
		Secrets:   []string{token},
		EnvValues: true,
		Rules: []clitest.Rule{
			{Args: []string{"version"}, Stdout: "Packer v1.11.2\n"},
			{Args: []string{"build"}, Stdout: "1700000000,,ui,error,Build 'x' errored\n", Stderr: "boom\n", ExitCode: 2},
		},
	})
}

func TestFakeRecordsCallsForGolden(t *testing.T) {
	t.Parallel()
	f := newPacker(t)
	env := []string{"PATH=" + f.Dir, "HOME=/home/runner", "PKR_VAR_token=" + token}
	r := &lines{}
	if _, err := cli.Run(t.Context(), cli.Cmd{Path: "packer", Args: []string{"version"}, Env: env, Reporter: r, Secrets: []string{token}}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Packer v1.11.2"}; !slices.Equal(r.got, want) {
		t.Errorf("replayed stdout = %q, want %q", r.got, want)
	}
	c := cli.Cmd{Path: f.Path, Args: []string{"build", "-machine-readable", "-var", "region=eu", "."}, Env: env,
		Secrets: []string{token}, ExitCodes: map[int]error{2: providers.ErrInvalidSpec}}
	c.SecretOnStdin(token + "\n")
	_, err := cli.Run(t.Context(), c)
	var ee *cli.ExitError
	if !errors.As(err, &ee) || ee.Code != 2 || !errors.Is(err, providers.ErrInvalidSpec) || ee.LastLine() != "boom" {
		t.Fatalf("err = %v, want exit code 2 matching ErrInvalidSpec", err)
	}
	got := f.Golden(t)
	if strings.Contains(string(got), token) {
		t.Errorf("the record holds the secret:\n%s", got)
	}
	golden.Compare(t, filepath.Join("testdata", "packer.golden"), got)
}

func TestFakeEnvNamesOnly(t *testing.T) {
	t.Parallel()
	f := clitest.New(t, clitest.Script{Name: "devpod"})
	if _, err := cli.Run(t.Context(), cli.Cmd{Path: f.Path, Args: []string{"up"}, Env: []string{"B=2", "A=1"}}); err != nil {
		t.Fatal(err)
	}
	calls := f.Calls(t)
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	if got, want := calls[0].Env, []string{"A", "B"}; !slices.Equal(got, want) {
		t.Errorf("env = %q, want %q", got, want)
	}
	if got, want := calls[0].Args, []string{"up"}; !slices.Equal(got, want) {
		t.Errorf("args = %q, want %q", got, want)
	}
}

func TestFakeNotCalled(t *testing.T) {
	t.Parallel()
	if calls := clitest.New(t, clitest.Script{Name: "fly"}).Calls(t); calls != nil {
		t.Errorf("calls = %v, want none", calls)
	}
}

type lines struct{ got []string }

func (l *lines) Log(s string)              { l.got = append(l.got, s) }
func (l *lines) Progress(string, int, int) {}

// A rule with Max answers that many calls; later calls fall through to the next rule.
func TestFakeRuleMax(t *testing.T) {
	t.Parallel()
	f := clitest.New(t, clitest.Script{Name: "devpod", Rules: []clitest.Rule{
		{Args: []string{"status"}, Stderr: "workspace x doesn't exist\n", ExitCode: 1, Max: 1},
		{Args: []string{"status"}, Stdout: `{"state":"Running"}`},
	}})
	var got []int
	for range 3 {
		res, _ := cli.Run(t.Context(), cli.Cmd{Path: f.Path, Args: []string{"status", "x"}})
		got = append(got, res.ExitCode)
	}
	if want := []int{1, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("exit codes = %v, want %v", got, want)
	}
}
