// Command hello is the tiny HTTP server baked into the sindri-test/hello images that the Docker
// provider's tests deploy. It answers "sindri-test ok <hostname> <variant>" on every path, and on
// /env-check?name=X whether the environment variable X is set (never its value), so tests can
// check that env vars and secrets arrive without printing them. With -probe URL it fetches URL
// once and exits 0 on HTTP 200: the scratch image has no shell or curl for helper containers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// variant distinguishes image tags built from the same source (set with -ldflags -X).
var variant = "1"

func main() {
	probe := flag.String("probe", "", "fetch this URL once and exit 0 on HTTP 200")
	writeFile := flag.String("write", "", "write -content to this path and exit (for volume tests)")
	readFile := flag.String("read", "", "print the content of this path and exit")
	content := flag.String("content", "", "content for -write")
	flag.Parse()
	switch {
	case *probe != "":
		os.Exit(runProbe(*probe))
	case *writeFile != "":
		os.Exit(runWrite(*writeFile, *content))
	case *readFile != "":
		os.Exit(runRead(*readFile))
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

func serve() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/env-check", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			http.Error(w, "name is required", http.StatusBadRequest)
			return
		}
		_, set := os.LookupEnv(name)
		fmt.Fprintf(w, "%s set=%t\n", name, set)
	})
	mux.HandleFunc("/file-check", func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("path")
		fi, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(w, "%s exists=false\n", p)
			return
		}
		fmt.Fprintf(w, "%s exists=true mode=%04o size=%d\n", p, fi.Mode().Perm(), fi.Size())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "sindri-test ok %s v%s\n", host, variant)
	})
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func runProbe(url string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(os.Stdout, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

func runWrite(path, content string) int {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		return 1
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		return 1
	}
	return 0
}

func runRead(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "read:", err)
		return 1
	}
	_, _ = os.Stdout.Write(b)
	return 0
}
