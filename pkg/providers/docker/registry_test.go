package docker_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Media types of a Docker image manifest (schema 2), as the engine asks for and expects them.
const (
	mediaManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaConfig   = "application/vnd.docker.container.image.v1+json"
	mediaLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
)

// testRegistry is an in-process registry speaking the part of the OCI distribution API v2 that
// `docker pull` uses (GET /v2/, GET/HEAD manifests by tag and digest, GET/HEAD blobs). It serves
// images exported from the local engine with the Engine API's image save, counts requests,
// answers anything it does not know with an error and records it, and can require basic auth
// or fail every request with a 503.
type testRegistry struct {
	t    *testing.T
	srv  *httptest.Server
	host string // 127.0.0.1:PORT

	mu        sync.Mutex
	blobs     map[string][]byte // digest -> content (configs, gzipped layers, manifests)
	manifests map[string]string // local image ref -> manifest digest
	tags      map[string]string // "repo:tag" -> manifest digest
	counts    map[string]int    // "GET manifest", "HEAD blob", ...
	bad       []string          // requests the registry did not expect
	user      string            // basic auth user; "" = anonymous access
	pass      string
	fail      int // status to answer every request with; 0 = serve normally
}

// newTestRegistry exports images from the engine and serves them from 127.0.0.1:random port.
// Serve them under names with serve.
func newTestRegistry(t *testing.T, images ...string) *testRegistry {
	t.Helper()
	r := &testRegistry{t: t, blobs: map[string][]byte{}, manifests: map[string]string{},
		tags: map[string]string{}, counts: map[string]int{}}
	r.load(images)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(r.serve)}}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	r.host = ln.Addr().String()
	r.removeImagesOnCleanup()
	return r
}

// load reads a `docker save` tarball (legacy layout with manifest.json, or OCI layout, whose
// manifest.json names the same things by blob path) and builds a schema 2 manifest per image.
func (r *testRegistry) load(images []string) {
	t := r.t
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := rawClient(t).ImageSave(ctx, images)
	if err != nil {
		t.Fatalf("image save %v: %v", images, err)
	}
	defer rc.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read image save tarball: %v", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[path.Clean(h.Name)] = b
	}
	var entries []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &entries); err != nil {
		t.Fatalf("image save manifest.json: %v", err)
	}
	type descriptor struct {
		MediaType string `json:"mediaType"`
		Size      int    `json:"size"`
		Digest    string `json:"digest"`
	}
	for _, e := range entries {
		cfg, ok := files[path.Clean(e.Config)]
		if !ok {
			t.Fatalf("image save: config %s missing", e.Config)
		}
		m := struct {
			SchemaVersion int          `json:"schemaVersion"`
			MediaType     string       `json:"mediaType"`
			Config        descriptor   `json:"config"`
			Layers        []descriptor `json:"layers"`
		}{SchemaVersion: 2, MediaType: mediaManifest,
			Config: descriptor{MediaType: mediaConfig, Size: len(cfg), Digest: r.addBlob(cfg)}}
		for _, l := range e.Layers {
			raw, ok := files[path.Clean(l)]
			if !ok {
				t.Fatalf("image save: layer %s missing", l)
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, _ = zw.Write(raw)
			_ = zw.Close()
			m.Layers = append(m.Layers, descriptor{MediaType: mediaLayer, Size: gz.Len(), Digest: r.addBlob(gz.Bytes())})
		}
		mb, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		dg := r.addBlob(mb)
		for _, tag := range e.RepoTags {
			r.manifests[tag] = dg
		}
	}
	for _, img := range images {
		if r.manifests[img] == "" {
			t.Fatalf("image save did not return %s", img)
		}
	}
}

func (r *testRegistry) addBlob(b []byte) string {
	sum := sha256.Sum256(b)
	dg := "sha256:" + hex.EncodeToString(sum[:])
	r.blobs[dg] = b
	return dg
}

// serveAs makes repo:tag (e.g. "sindri-test/hello:1") resolve to the local image's manifest and
// returns the reference to pull it by: 127.0.0.1:PORT/repo:tag.
func (r *testRegistry) serveAs(repoTag, localImage string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	dg, ok := r.manifests[localImage]
	if !ok {
		r.t.Fatalf("registry has no image %s", localImage)
	}
	r.tags[repoTag] = dg
	return r.host + "/" + repoTag
}

// requireBasicAuth makes every request need these basic-auth credentials.
func (r *testRegistry) requireBasicAuth(user, pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.user, r.pass = user, pass
}

// failWith answers every request with status (0: serve normally again).
func (r *testRegistry) failWith(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = status
}

// count returns how many requests of kind ("GET manifest", "HEAD blob", ...) were served.
func (r *testRegistry) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[kind]
}

// manifestRequests is the number of manifest requests (GET and HEAD): every pull makes one.
func (r *testRegistry) manifestRequests() int {
	return r.count("GET manifest") + r.count("HEAD manifest")
}

// checkShapes fails the test if any request did not have the shape the registry expects.
func (r *testRegistry) checkShapes() {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		r.t.Errorf("registry: unexpected request %s", b)
	}
}

var (
	manifestPath = regexp.MustCompile(`^/v2/([a-z0-9]+(?:[._/-][a-z0-9]+)*)/manifests/([A-Za-z0-9_.:-]+)$`)
	blobPath     = regexp.MustCompile(`^/v2/([a-z0-9]+(?:[._/-][a-z0-9]+)*)/blobs/(sha256:[a-f0-9]{64})$`)
)

func (r *testRegistry) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		r.reject(w, req, http.StatusMethodNotAllowed, "UNSUPPORTED", "only GET and HEAD")
		return
	}
	if r.fail != 0 {
		r.counts["failed"]++
		regError(w, r.fail, "UNAVAILABLE", "injected failure")
		return
	}
	if r.user != "" {
		u, p, ok := req.BasicAuth()
		if !ok || u != r.user || p != r.pass {
			r.counts["unauthorized"]++
			w.Header().Set("WWW-Authenticate", `Basic realm="sindri-test"`)
			regError(w, http.StatusUnauthorized, "UNAUTHORIZED", "authentication required")
			return
		}
	}
	switch {
	case req.URL.Path == "/v2/" || req.URL.Path == "/v2":
		r.counts[req.Method+" base"]++
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	case manifestPath.MatchString(req.URL.Path):
		m := manifestPath.FindStringSubmatch(req.URL.Path)
		r.counts[req.Method+" manifest"]++
		if !strings.Contains(strings.Join(req.Header.Values("Accept"), ","), mediaManifest) {
			r.reject(w, req, http.StatusNotAcceptable, "MANIFEST_INVALID", "Accept does not include "+mediaManifest)
			return
		}
		dg := m[2]
		if !strings.HasPrefix(dg, "sha256:") {
			dg = r.tags[m[1]+":"+m[2]]
		} else if !r.isManifestOf(m[1], dg) {
			dg = ""
		}
		b, ok := r.blobs[dg]
		if dg == "" || !ok {
			regError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
			return
		}
		w.Header().Set("Content-Type", mediaManifest)
		w.Header().Set("Docker-Content-Digest", dg)
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if req.Method == http.MethodGet {
			_, _ = w.Write(b)
		}
	case blobPath.MatchString(req.URL.Path):
		m := blobPath.FindStringSubmatch(req.URL.Path)
		r.counts[req.Method+" blob"]++
		b, ok := r.blobs[m[2]]
		if !ok || !r.hasRepo(m[1]) {
			regError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Docker-Content-Digest", m[2])
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		if req.Method == http.MethodGet {
			_, _ = w.Write(b)
		}
	default:
		r.reject(w, req, http.StatusNotFound, "NAME_UNKNOWN", "no such endpoint")
	}
}

func (r *testRegistry) hasRepo(repo string) bool {
	for rt := range r.tags {
		if strings.HasPrefix(rt, repo+":") {
			return true
		}
	}
	return false
}

func (r *testRegistry) isManifestOf(repo, dg string) bool {
	for rt, d := range r.tags {
		if d == dg && strings.HasPrefix(rt, repo+":") {
			return true
		}
	}
	return false
}

// reject answers a request the registry does not expect and records it for checkShapes.
func (r *testRegistry) reject(w http.ResponseWriter, req *http.Request, status int, code, msg string) {
	r.bad = append(r.bad, fmt.Sprintf("%s %s (Accept %q): %s", req.Method, req.URL.Path, strings.Join(req.Header.Values("Accept"), ","), msg))
	regError(w, status, code, msg)
}

func regError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}})
}

// removeImagesOnCleanup removes, after the test, every reference the engine holds from this
// registry (127.0.0.1:PORT/... tags and digests), never the local test images they were
// exported from: removing a reference that shares an image ID with another tag only untags.
func (r *testRegistry) removeImagesOnCleanup() {
	t := r.t
	t.Helper()
	cli := rawClient(t)
	prefix := r.host + "/"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		list, err := cli.ImageList(ctx, client.ImageListOptions{All: true})
		if err != nil {
			t.Errorf("cleanup: list images: %v", err)
			return
		}
		for _, img := range list.Items {
			for _, ref := range append(slices.Clone(img.RepoTags), img.RepoDigests...) {
				if !strings.HasPrefix(ref, prefix) {
					continue
				}
				if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{}); ignoreMissing(err) != nil {
					t.Errorf("cleanup: remove image %s: %v", ref, err)
				}
			}
		}
	})
}

func ignoreMissing(err error) error {
	if err != nil && cerrdefs.IsNotFound(err) {
		return nil
	}
	return err
}
