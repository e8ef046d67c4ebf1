package executor

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sindri/deploy/v3/pkg/config"
)

// countingLoader is LoadSindriConfig that counts its calls.
type countingLoader struct{ calls atomic.Int64 }

func (l *countingLoader) load(path string, data []byte) (*config.Config, error) {
	l.calls.Add(1)
	return LoadSindriConfig(path, data)
}

const cacheTestConfig = "version: \"3.0\"\nname: demo\ndeployment:\n  provider: docker\n  image: local/demo:1\nextensions:\n  active: [git, node]\nsecrets:\n  - name: API_TOKEN\n    source: env\n"

func TestConfigCacheParsesEachFileOnce(t *testing.T) {
	t.Parallel()
	var l countingLoader
	c := newConfigCache(l.load)
	first, err := c.Load("sindri.yaml", []byte(cacheTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := c.Load("sindri.yaml", []byte(cacheTestConfig))
			if err != nil {
				t.Error(err)
				return
			}
			if !reflect.DeepEqual(got, first) {
				t.Errorf("cached config differs from the parsed one:\n%+v\n%+v", got, first)
			}
		})
	}
	wg.Wait()
	if n := l.calls.Load(); n != 1 {
		t.Errorf("the same file was parsed %d times, want 1", n)
	}
	// The path is part of the key: it is the config's Source.
	other, err := c.Load("sub/sindri.yaml", []byte(cacheTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	if other.Source.Path != "sub/sindri.yaml" || l.calls.Load() != 2 {
		t.Errorf("another path: source %q after %d parses, want sub/sindri.yaml after 2", other.Source.Path, l.calls.Load())
	}
}

// A job's provider may change its Spec's Config: the next job of the same file must not see
// it.
func TestConfigCacheCopiesAreIndependent(t *testing.T) {
	t.Parallel()
	c := newConfigCache(LoadSindriConfig)
	a, err := c.Load("sindri.yaml", []byte(cacheTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	want, err := LoadSindriConfig("sindri.yaml", []byte(cacheTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	a.Name = "changed"
	a.Extensions.Active[0] = "changed"
	a.Secrets[0].Name = "CHANGED"
	a.Source.Path = "changed"
	if a.Providers.Docker == nil || a.Deployment.Resources.CPUs == nil {
		t.Fatal("the docker defaults are missing: the test config no longer exercises pointers")
	}
	a.Providers.Docker.Network = "changed"
	*a.Deployment.Resources.CPUs = 99
	b, err := c.Load("sindri.yaml", []byte(cacheTestConfig))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("a change to one copy reached the next:\n got %+v\nwant %+v", b, want)
	}
}

func TestConfigCacheEvictsAndKeepsNoErrors(t *testing.T) {
	t.Parallel()
	var l countingLoader
	c := newConfigCache(l.load)
	text := func(i int) []byte {
		return fmt.Appendf(nil, "version: \"3.0\"\nname: demo-%d\ndeployment:\n  provider: docker\n  image: local/demo:1\n", i)
	}
	for i := range configCacheSize + 1 {
		if _, err := c.Load("sindri.yaml", text(i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.order.Len(); got != configCacheSize {
		t.Errorf("cache holds %d configs, want at most %d", got, configCacheSize)
	}
	before := l.calls.Load()
	if _, err := c.Load("sindri.yaml", text(configCacheSize)); err != nil || l.calls.Load() != before {
		t.Errorf("the newest config was parsed again (err %v)", err)
	}
	if _, err := c.Load("sindri.yaml", text(0)); err != nil || l.calls.Load() != before+1 {
		t.Errorf("the least recently used config was not evicted (err %v, %d parses)", err, l.calls.Load()-before)
	}
	bad := []byte("version: \"3.0\"\nname: demo\ndeployment:\n  provider: nowhere\n")
	for range 2 {
		if _, err := c.Load("sindri.yaml", bad); !errors.Is(err, config.ErrInvalidConfig) {
			t.Fatalf("invalid config: %v, want config.ErrInvalidConfig", err)
		}
	}
	if n := l.calls.Load() - before - 1; n != 2 {
		t.Errorf("an invalid config was parsed %d times for 2 loads, want 2 (errors are not kept)", n)
	}
}

// deepCopy follows pointers, slices, maps, arrays and interfaces; anything else in
// config.Config (an unexported field, a func, a channel) could be shared between jobs.
func TestDeepCopyCoversConfig(t *testing.T) {
	t.Parallel()
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string) []string
	walk = func(typ reflect.Type, path string) []string {
		if seen[typ] {
			return nil
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			return walk(typ.Elem(), path+"[]")
		case reflect.Map:
			return append(walk(typ.Key(), path+"{key}"), walk(typ.Elem(), path+"{}")...)
		case reflect.Struct:
			var bad []string
			for i := range typ.NumField() {
				f := typ.Field(i)
				if !f.IsExported() {
					bad = append(bad, path+"."+f.Name+" is unexported")
					continue
				}
				bad = append(bad, walk(f.Type, path+"."+f.Name)...)
			}
			return bad
		case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Uintptr, reflect.Interface:
			return []string{path + " is a " + typ.Kind().String()}
		}
		return nil
	}
	for _, bad := range walk(reflect.TypeFor[config.Config](), "Config") {
		t.Error(bad)
	}
	// Every real-world config that validates copies to an equal value.
	for _, fx := range validFixtures(t) {
		f, cfg := fx.name, fx.cfg
		if cp := deepCopy(cfg); !reflect.DeepEqual(cp, cfg) || cp == cfg {
			t.Errorf("%s: the copy differs from the original", f)
		}
	}
}
