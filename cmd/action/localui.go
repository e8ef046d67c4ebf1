package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/ui"
)

// runLocalUI serves the operator web view over a snapshot of the local embedded store that
// local runs keep when SINDRI_LOCAL_STORE names a folder. It serves until ctx ends.
func runLocalUI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("local ui", flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", getenv("SINDRI_LOCAL_STORE"), "the local runs' JetStream store folder (env SINDRI_LOCAL_STORE)")
	listen := fs.String("listen", "127.0.0.1:8089", "listen address; anything but loopback needs -token-file")
	tokenFile := fs.String("token-file", "", "file holding the token the view requires (bearer or basic-auth password)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *store == "" {
		fmt.Fprintln(stderr, "sindri-action local ui: no store: local runs keep their bus only when SINDRI_LOCAL_STORE names a folder; set it for the local verbs and for local ui (or pass -store DIR)")
		return 2
	}
	token := ""
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintln(stderr, "sindri-action local ui: -token-file:", err)
			return 2
		}
		token = strings.TrimSpace(string(b))
	}
	if token == "" && !ui.Loopback(*listen) {
		fmt.Fprintf(stderr, "sindri-action local ui: -listen %s is not a loopback address: pass -token-file too\n", *listen)
		return 2
	}
	if err := serveLocalUI(ctx, *store, *listen, token, stdout); err != nil {
		fmt.Fprintln(stderr, "sindri-action local ui:", err)
		return 1
	}
	return 0
}

func serveLocalUI(ctx context.Context, store, listen, token string, stdout io.Writer) error {
	if _, err := os.Stat(filepath.Join(store, "jetstream")); err != nil {
		return fmt.Errorf("store %s holds no JetStream data (has a local run used it?): %w", store, err)
	}
	// A nats-server owns its store while it runs and a local run may be using this one: the view
	// reads a copy, so it can never disturb (or be disturbed by) a run in progress.
	snap, err := os.MkdirTemp("", "sindri-local-ui-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(snap)
	if err := copyTree(store, snap); err != nil {
		return fmt.Errorf("snapshot %s: %w", store, err)
	}
	emb, err := events.StartEmbedded(ctx, events.EmbeddedOptions{StoreDir: snap})
	if err != nil {
		return err
	}
	defer emb.Close()
	nc, err := emb.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	if err := events.Setup(ctx, js, events.SetupOptions{}); err != nil {
		return err
	}
	view, err := ui.New(ctx, js, ui.Options{Title: "sindri local"})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	srv := &http.Server{Handler: ui.RequireToken(token, view), ReadHeaderTimeout: 5 * time.Second,
		BaseContext: func(net.Listener) context.Context { return gctx }}
	g.Go(func() error { return view.Run(gctx) })
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 2*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	fmt.Fprintf(stdout, "sindri local view of %s (a snapshot taken now; restart to refresh): http://%s/\n", store, ln.Addr())
	return g.Wait()
}

// copyTree copies the regular files and folders under src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o700)
		case !d.Type().IsRegular():
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, in); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}
