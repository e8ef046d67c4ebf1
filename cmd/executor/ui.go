package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/executor"
	"github.com/sindri/deploy/v3/pkg/ui"
)

// minUIToken is the shortest ui.token_file content accepted.
const minUIToken = 16

// loadUIToken reads ui.token_file and checks the listener: a view on anything but loopback
// must require a token, so an executor configured otherwise does not start.
func (c *config) loadUIToken() error {
	if c.UITokenFile != "" {
		b, err := os.ReadFile(c.UITokenFile)
		if err != nil {
			return fmt.Errorf("ui.token_file: %w", err)
		}
		c.UIToken = strings.TrimSpace(string(b))
		if len(c.UIToken) < minUIToken {
			return fmt.Errorf("ui.token_file %s: the token has %d characters, want at least %d; write one with `head -c 32 /dev/urandom | base64 > %s`", c.UITokenFile, len(c.UIToken), minUIToken, c.UITokenFile)
		}
	}
	if c.UIListen == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(c.UIListen); err != nil {
		return fmt.Errorf("ui.listen: %w", err)
	}
	if c.UIToken == "" && !ui.Loopback(c.UIListen) {
		return fmt.Errorf("ui.listen %s is not a loopback address and ui.token_file is not set: the view would be open to anyone who reaches it; set ui.token_file, or listen on 127.0.0.1 behind a reverse proxy", c.UIListen)
	}
	return nil
}

// serveUI starts the operator web view in g when ui.listen is set: its events index and its
// HTTP server, both stopped when gctx ends. ready is this executor's readiness; idle are the
// idle stop's rules.
func serveUI(ctx, gctx context.Context, g *errgroup.Group, cfg config, js jetstream.JetStream, ready func() error, idle executor.IdleRules, log zerolog.Logger) error {
	if cfg.UIListen == "" {
		return nil
	}
	host, _ := os.Hostname()
	view, err := ui.New(ctx, js, ui.Options{Self: ready, SelfName: "executor " + host,
		IdleDeadline: uiIdleDeadline(cfg, idle),
		OnError:      func(err error) { log.Warn().Err(err).Msg("web view") }})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.UIListen)
	if err != nil {
		return fmt.Errorf("ui listener: %w", err)
	}
	// Requests live in gctx, so live logs (long requests) end when the executor stops.
	srv := &http.Server{Handler: ui.RequireToken(cfg.UIToken, view), ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return gctx }}
	log.Info().Str("addr", ln.Addr().String()).Bool("token", cfg.UIToken != "").Msg("web view listening")
	g.Go(func() error { return view.Run(gctx) })
	serveUntilDone(gctx, g, "ui", srv, ln)
	return nil
}

// uiIdleDeadline is the view's idle deadline: when this executor's reaper would stop an
// environment for idleness (the idle pass's own rule: its cost.idle_stop, or the record's own
// shorter idle time), or nil when its reaper is off.
func uiIdleDeadline(cfg config, idle executor.IdleRules) func(*events.EnvRecord) time.Time {
	if cfg.ReaperInterval <= 0 {
		return nil
	}
	return idle.Deadline
}
