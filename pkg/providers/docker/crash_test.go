package docker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
	"github.com/sindri/deploy/v3/pkg/providers/docker"
)

// A container that exits at once under the default restart policy (the engine restarts it,
// again and again) fails Deploy within seconds, not at the deploy timeout: a permanent
// providers.ErrWorkloadFailed whose text has the container's last log line, with its last lines
// reported to the Reporter, the secret value it printed redacted in both. Nothing is left.
func TestDeployCrashLoopFailsFast(t *testing.T) {
	t.Parallel()
	needEngine(t)
	p, cli := newProvider(t, docker.Config{}), rawClient(t)
	canary := "crashcanary" + strings.TrimPrefix(uniqueEnv("x"), "dt-x-")
	for _, tc := range []struct {
		name, restart string
		port          bool
	}{
		{"default restart policy, published port", "", true},
		{"default restart policy", "", false},
		{"restart no", "no", false},
		{"restart on-failure, published port", "on-failure", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSpec(uniqueEnv("crash"), image1, nil)
			s.Options.Timeout = 2 * time.Minute
			s.Config.Providers.Docker = &config.DockerConfig{Restart: tc.restart}
			if tc.port {
				s.Config.Providers.Docker.Ports = []string{fmt.Sprintf("%d:8080", freePort(t))}
			}
			// The test server cannot listen on this "port" and exits 1, printing it.
			s.Secrets = []providers.SecretValue{{Name: "PORT", Value: secret(canary)}}
			destroyOnCleanup(t, p, s)
			var rep logReporter
			t0 := time.Now()
			_, err := p.Deploy(testCtx(t), s, &rep)
			took := time.Since(t0)
			wantErrIs(t, err, providers.ErrWorkloadFailed)
			if errors.Is(err, context.DeadlineExceeded) || providers.IsRetryable(err) {
				t.Errorf("error %v is a deadline or retryable", err)
			}
			if took > time.Minute {
				t.Errorf("Deploy took %s, want a failure well before the %s timeout", took, s.Options.Timeout)
			}
			for what, text := range map[string]string{"error": err.Error(), "reporter": rep.text()} {
				if !strings.Contains(text, "hello: listen tcp") {
					t.Errorf("%s does not quote the container's last log line: %s", what, text)
				}
				if strings.Contains(text, canary) {
					t.Errorf("%s holds the secret value: %s", what, text)
				}
			}
			if left := leftovers(t, cli, s.Env); len(left) != 0 {
				t.Errorf("leftovers after the failed Deploy: %v", left)
			}
		})
	}
}
