package cli_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/internal/cli"
)

func TestRunEnvironmentIsExactlyEnv(t *testing.T) {
	t.Parallel()
	r := newReporter()
	c := helperCmd(t, "env", "A=1", "B=two words")
	c.Reporter = r
	c.Dir = t.TempDir() // os/exec adds PWD for a Dir only when it builds the environment itself
	if _, err := cli.Run(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	got, want := r.all(), []string{"A=1", "B=two words", "CLI_TEST_HELPER=env"}
	if !slices.Equal(got, want) {
		t.Errorf("child environment = %q, want %q", got, want)
	}
}

func TestRunStdoutWriterGetsRawData(t *testing.T) {
	t.Parallel()
	r := newReporter()
	var out bytes.Buffer
	c := helperCmd(t, "env")
	c.Reporter, c.Stdout = r, &out
	res, err := cli.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "CLI_TEST_HELPER=env\n"; got != want {
		t.Errorf("Stdout = %q, want %q", got, want)
	}
	if got := r.all(); len(got) != 0 {
		t.Errorf("data lines reached the reporter: %q", got)
	}
	if got, want := res.Stdout, []string{"CLI_TEST_HELPER=env"}; !slices.Equal(got, want) {
		t.Errorf("stdout tail = %q, want %q", got, want)
	}
}

var errQuota = errors.New("quota")

func TestRunFailureTailsAndClassification(t *testing.T) {
	t.Parallel()
	classifyQuota := func(e *cli.ExitError) error {
		if strings.Contains(e.Tail(), "err5") {
			return errQuota
		}
		return nil
	}
	tests := []struct {
		name     string
		code     int
		codes    map[int]error
		classify func(*cli.ExitError) error
		want     error // nil: matches none of the sentinels below
	}{
		{name: "exit code mapped", code: 3, codes: map[int]error{3: providers.ErrNotFound}, want: providers.ErrNotFound},
		{name: "map wins over classifier", code: 3, codes: map[int]error{3: providers.ErrUnavailable}, classify: classifyQuota, want: providers.ErrUnavailable},
		{name: "classifier reads the tail", code: 1, codes: map[int]error{3: providers.ErrNotFound}, classify: classifyQuota, want: errQuota},
		{name: "unmapped", code: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newReporter()
			c := helperCmd(t, "streams", "CLI_TEST_N=5", "CLI_TEST_CODE="+strconv.Itoa(tt.code))
			c.Reporter, c.TailLines, c.ExitCodes, c.Classify = r, 2, tt.codes, tt.classify
			res, err := cli.Run(t.Context(), c)
			var ee *cli.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExitError", err)
			}
			if ee.Code != tt.code || res.ExitCode != tt.code {
				t.Errorf("code = %d (result %d), want %d", ee.Code, res.ExitCode, tt.code)
			}
			if !slices.Equal(ee.Stdout, []string{"out4", "out5"}) || !slices.Equal(ee.Stderr, []string{"err4", "err5"}) {
				t.Errorf("tails = %q / %q, want the last two lines of each stream", ee.Stdout, ee.Stderr)
			}
			for _, s := range []error{providers.ErrNotFound, providers.ErrUnavailable, errQuota} {
				if got, want := errors.Is(err, s), s == tt.want; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
				}
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "helper streams: exit code "+strconv.Itoa(tt.code)) || !strings.HasSuffix(msg, ": err5") {
				t.Errorf("Error() = %q, want the name, the code and the last stderr line", msg)
			}
			if got := len(r.all()); got != 10 {
				t.Errorf("reporter got %d lines, want all 10 of both streams", got)
			}
		})
	}
}

func TestRunRedactsSecrets(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-very-secret"
	long := strings.Repeat("x", 90) + secret + strings.Repeat("y", 200) // crosses the 100-byte cut
	text := "token " + secret + "\n" + "json {\"t\":\"" + secret + "\"}\n" + long + "\n"
	r := newReporter()
	c := helperCmd(t, "print", "CLI_TEST_TEXT="+text)
	c.Reporter, c.Secrets, c.MaxLineBytes = r, []string{secret}, 100
	_, err := cli.Run(t.Context(), c)
	var ee *cli.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want an *ExitError", err)
	}
	all := append(append(append(r.all(), ee.Stdout...), ee.Stderr...), err.Error())
	for _, l := range all {
		if strings.Contains(l, secret) || strings.Contains(l, secret[:8]) {
			t.Errorf("secret leaked: %q", l)
		}
	}
	if !slices.Contains(r.all(), "token [redacted]") {
		t.Errorf("reporter lines %q lack the redacted line", r.all())
	}
	for _, l := range r.all() {
		if strings.HasPrefix(l, "xxx") && (len(l) > 150 || !strings.Contains(l, "[line cut, 309 bytes]")) {
			t.Errorf("long line not cut to bound: %q", l)
		}
	}
}

func TestRunRefusesSecretInArgs(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-token"
	tests := []struct {
		name string
		args []string
	}{
		{"verbatim", []string{"login", secret}},
		{"in a flag", []string{"login", "--token=" + secret}},
		{"base64", []string{"login", "--auth", base64.StdEncoding.EncodeToString([]byte(secret))}},
		{"short secret", []string{"login", "--pin=abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := helperCmd(t, "env")
			c.Args, c.Secrets = tt.args, []string{secret, "abc"}
			res, err := cli.Run(t.Context(), c)
			if !errors.Is(err, cli.ErrSecretInArgs) || res != nil {
				t.Fatalf("Run = %v, %v; want ErrSecretInArgs and no result", res, err)
			}
			if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "argument") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestRunBinaryNotFound(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name, path string
		env        []string
		want       []string
	}{
		{"by name", "packer-missing", []string{"PATH=" + dir}, []string{`"packer-missing"`, "directory of PATH", "providers.packer.binary"}},
		{"by path", filepath.Join(dir, "packer"), nil, []string{filepath.Join(dir, "packer"), "providers.packer.binary"}},
		{"relative PATH entries skipped", "helpers_test.go", []string{"PATH=."}, []string{`"helpers_test.go"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := cli.Run(t.Context(), cli.Cmd{Path: tt.path, Setting: "providers.packer.binary", Env: tt.env})
			var nf *cli.BinaryNotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("err = %v, want a *BinaryNotFoundError", err)
			}
			if strings.Contains(err.Error(), dir) && !strings.Contains(tt.path, dir) {
				t.Errorf("Error() = %q prints the PATH value; want only the variable named", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Error() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
	if _, err := cli.Run(t.Context(), cli.Cmd{Path: "no-such", Env: []string{"PATH=" + dir}}); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("err = %v, want exec.ErrNotFound", err)
	}
}

func TestRunCancellation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		exitOn      string // the signal the child exits on; "" ignores both
		wantSignals []string
		wantKill    bool
	}{
		{name: "exits on SIGINT", exitOn: "interrupt", wantSignals: []string{"interrupt"}},
		{name: "ignores SIGINT, exits on SIGTERM", exitOn: "terminated", wantSignals: []string{"interrupt", "terminated"}},
		{name: "ignores both, killed", wantSignals: []string{"interrupt", "terminated"}, wantKill: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sigFile, pidFile := filepath.Join(dir, "signals"), filepath.Join(dir, "pids")
			r := newReporter()
			c := helperCmd(t, "trap", "CLI_TEST_SIGNALS="+sigFile, "CLI_TEST_PIDFILE="+pidFile, "CLI_TEST_EXIT_ON="+tt.exitOn)
			c.Reporter, c.InterruptGrace, c.TerminateGrace = r, 300*time.Millisecond, 300*time.Millisecond
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			type result struct {
				res *cli.Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := cli.Run(ctx, c)
				done <- result{res, err}
			}()
			r.waitLine(t, "ready")
			cancel()
			var got result
			select {
			case got = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancellation")
			}
			if !errors.Is(got.err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", got.err)
			}
			if sigs := readLines(t, sigFile); !slices.Equal(sigs, tt.wantSignals) {
				t.Errorf("child saw signals %q, want %q", sigs, tt.wantSignals)
			}
			var ee *cli.ExitError
			if errors.As(got.err, &ee) && (ee.Signal == "killed") != tt.wantKill {
				t.Errorf("Signal = %q, want killed: %v", ee.Signal, tt.wantKill)
			}
			grandchildGone(t, pidFile)
		})
	}
}

func TestRunReturnsWhenGrandchildHoldsOutput(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(t.TempDir(), "pids")
	c := helperCmd(t, "linger", "CLI_TEST_PIDFILE="+pidFile)
	c.OutputWait = 200 * time.Millisecond
	start := time.Now()
	res, err := cli.Run(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %v", d)
	}
	if !slices.Equal(res.Stdout, []string{"bye"}) {
		t.Errorf("stdout tail = %q", res.Stdout)
	}
	grandchildGone(t, pidFile)
}

func TestRunRateLimitCountsSkippedLines(t *testing.T) {
	t.Parallel()
	r := newReporter()
	c := helperCmd(t, "streams", "CLI_TEST_N=100", "CLI_TEST_CODE=0")
	c.Reporter, c.LinesPerSecond = r, 10
	if _, err := cli.Run(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	shown, skipped := 0, 0
	for _, l := range r.all() {
		var n int
		if _, err := fmt.Sscanf(l, "... %d lines skipped", &n); err == nil {
			skipped += n
			continue
		}
		shown++
	}
	if shown+skipped != 200 || shown >= 200 {
		t.Errorf("shown %d + skipped %d, want 200 with some skipped", shown, skipped)
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := cli.Run(ctx, helperCmd(t, "env")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
