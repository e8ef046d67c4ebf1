package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"testing"
)

// hostileInputs are documents built to cost time or memory: an alias bomb (10^9 nodes if
// expanded), deep nesting in flow and block style, and an oversized file.
func hostileInputs() map[string]string {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", n, n, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = n
	}
	var deepBlock strings.Builder
	for i := range 100 {
		deepBlock.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return map[string]string{
		"alias bomb":  bomb,
		"deep flow":   strings.Repeat("[", 5000) + strings.Repeat("]", 5000),
		"deep block":  deepBlock.String(),
		"deep dashes": strings.Repeat("- ", 600) + "x\n",
		"too big":     "name: " + strings.Repeat("a", MaxFileSize) + "\n",
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	h := hostileInputs()
	bomb, deepFlow := h["alias bomb"], h["deep flow"]
	var deepBlock strings.Builder
	deepBlock.WriteString(h["deep block"])
	cases := []struct {
		name, data, text string
	}{
		{"alias bomb", bomb, "more than 100000 YAML nodes"},
		{"self alias", "x: &a [*a]\n", "alias refers to the node that contains it"},
		{"deep flow", deepFlow, "nesting too deep"},
		{"deep block", deepBlock.String(), "nesting too deep"},
		{"deep dashes", strings.Repeat("- ", 600) + "x\n", "nesting too deep"},
		{"too big", "name: " + strings.Repeat("a", MaxFileSize) + "\n", "larger than"},
		{"multi doc", base + "---\n" + base, "more than one YAML document"},
		{"empty", "", "file is empty"},
		{"comments only", "# nothing\n", "file is empty"},
		{"not a mapping", "- a\n- b\n", "expected a mapping"},
		{"syntax", "a: [\n", "YAML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, diags := Load("x.yaml", []byte(tc.data))
			if c != nil || !diags.HasErrors() {
				t.Fatalf("accepted; want error %q", tc.text)
			}
			if !strings.Contains(diags.Err().Error(), tc.text) {
				t.Errorf("errors = %v, want %q", diags.Err(), tc.text)
			}
		})
	}
}

// TestAnchorsWithinLimits: ordinary anchors, aliases and merge keys work.
func TestAnchorsWithinLimits(t *testing.T) {
	t.Parallel()
	src := base + "secrets:\n  - &s {name: A, source: env}\n  - <<: *s\n    name: B\n"
	c, diags := Load("x.yaml", []byte(src))
	if c == nil {
		t.Fatalf("refused: %v", diags.Err())
	}
	if len(c.Secrets) != 2 || c.Secrets[1].Name != "B" || c.Secrets[1].Source != SecretSourceEnv {
		t.Errorf("secrets = %+v", c.Secrets)
	}
	if _, diags := Load("x.yaml", []byte(base+"---\n")); diags.HasErrors() {
		t.Errorf("trailing empty document refused: %v", diags.Err())
	}
}

func TestLoadFileAndDiscover(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	deep := root + "/a/b/c"
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Discover(deep); err == nil || !strings.Contains(err.Error(), deep) {
		t.Errorf("Discover with no config: err = %v, want one naming %s", err, deep)
	}
	if err := os.WriteFile(root+"/a/sindri.yml", []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Discover(deep)
	if err != nil || got != root+"/a/sindri.yml" {
		t.Fatalf("Discover = %q, %v", got, err)
	}
	if err := os.WriteFile(root+"/a/sindri.yaml", []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := Discover(deep); got != root+"/a/sindri.yaml" {
		t.Errorf("sindri.yaml must win over sindri.yml, got %q", got)
	}
	c, diags, err := LoadFile(got)
	if err != nil || c == nil || diags.HasErrors() {
		t.Fatalf("LoadFile: %v %v", err, diags.Err())
	}
	if c.Source.Dir != root+"/a" || c.ProviderName() != ProviderDocker {
		t.Errorf("source %+v provider %s", c.Source, c.ProviderName())
	}
	if _, _, err := LoadFile(root + "/missing.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadFile missing: %v", err)
	}
}

// TestManyProblemsBounded: a hostile file full of bad keys yields a bounded report that still
// refuses the file.
func TestManyProblemsBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(base + "secrets:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  - {name: bad%d, source: env, zzzzzzzzzzzzzzzzzzzzzzzzzz%d: 1}\n", i, i)
	}
	c, diags := Load("x.yaml", []byte(b.String()))
	if c != nil || len(diags) > maxDiagnostics+1 {
		t.Fatalf("config %v, %d diagnostics", c != nil, len(diags))
	}
	if !strings.Contains(diags.Err().Error(), "more problems not shown") {
		t.Errorf("no summary of dropped problems: %s", render(diags[:3]))
	}
}

func FuzzLoad(f *testing.F) {
	for _, file := range fixtureFiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("x: &a [*a]\n"))
	f.Add([]byte("a: &a [1,2]\nb: [*a, *a]\n<<: {c: 1}\n"))
	for _, h := range hostileInputs() {
		f.Add([]byte(h))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Memory is bounded by the input, not by what it expands to: an alias bomb or a deep
		// document must be refused before it costs more than a generous multiple of its size.
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c, diags := Load("fuzz.yaml", data)
		runtime.ReadMemStats(&after)
		if alloc, limit := after.TotalAlloc-before.TotalAlloc, uint64(512*len(data))+64<<20; alloc > limit {
			t.Fatalf("Load of %d bytes allocated %d bytes (limit %d)", len(data), alloc, limit)
		}
		if (c == nil) != diags.HasErrors() {
			t.Fatalf("config nil = %v but HasErrors = %v", c == nil, diags.HasErrors())
		}
		for _, d := range diags {
			if d.Severity != SeverityError && d.Severity != SeverityWarning {
				t.Fatalf("bad severity %v", d.Severity)
			}
			_ = d.String()
		}
		if c != nil {
			_ = c.ProviderName()
			_ = c.Deployment.Resources.MemoryBytes()
			if c.Deployment.Volumes.Workspace == nil || c.Deployment.Resources.CPUs == nil {
				t.Fatal("accepted config without defaults")
			}
		}
	})
}

func BenchmarkLoadFixtures(b *testing.B) {
	files := fixtureFiles(b)
	datas := make([][]byte, len(files))
	for i, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		datas[i] = d
	}
	b.ResetTimer()
	for b.Loop() {
		for i, d := range datas {
			Load(files[i], d)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(datas)), "ns/file")
}

// BenchmarkLoadHostile reports the cost of refusing each hostile input (time and bytes
// allocated per Load): what an attacker's sindri.yaml can cost the action.
func BenchmarkLoadHostile(b *testing.B) {
	for name, data := range hostileInputs() {
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c, _ := Load("x.yaml", []byte(data)); c != nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}
