package executor

import (
	"container/list"
	"crypto/sha256"
	"reflect"
	"sync"

	"github.com/sindri/deploy/v3/pkg/config"
)

// configCacheSize bounds the parsed configs an executor keeps. A config is a few KiB parsed;
// the jobs of one repository mostly carry the same few files.
const configCacheSize = 128

// configCache remembers the configs a ConfigLoader parsed, by a SHA-256 of path and content,
// so that the jobs carrying the same sindri.yaml are parsed and validated once (least
// recently used entries go first). Every caller gets its own deep copy: a provider may change
// the Config of its Spec without touching another job's. Only successful loads are kept: a
// config that does not validate fails its job permanently, which is rare.
type configCache struct {
	load ConfigLoader

	mu    sync.Mutex
	order *list.List // of *configEntry, most recently used first
	byKey map[[sha256.Size]byte]*list.Element
}

type configEntry struct {
	key [sha256.Size]byte
	cfg *config.Config // never handed out: callers get copies
}

func newConfigCache(load ConfigLoader) *configCache {
	return &configCache{load: load, order: list.New(), byKey: map[[sha256.Size]byte]*list.Element{}}
}

// Load is a ConfigLoader: load's result for path and data, from the cache when it has it.
func (c *configCache) Load(path string, data []byte) (*config.Config, error) {
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(data)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.order.MoveToFront(el)
		cfg := el.Value.(*configEntry).cfg
		c.mu.Unlock()
		return deepCopy(cfg), nil
	}
	c.mu.Unlock()
	cfg, err := c.load(path, data)
	if err != nil || cfg == nil {
		return cfg, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; !ok {
		c.byKey[key] = c.order.PushFront(&configEntry{key: key, cfg: cfg})
		for c.order.Len() > configCacheSize {
			last := c.order.Back()
			c.order.Remove(last)
			delete(c.byKey, last.Value.(*configEntry).key)
		}
	}
	return deepCopy(cfg), nil
}

// deepCopy returns a copy of *v that shares no memory with it. It follows pointers, slices,
// maps, arrays and interfaces; TestDeepCopyCoversConfig checks that config.Config holds
// nothing else that could be shared (unexported fields, funcs, channels).
func deepCopy[T any](v *T) *T {
	return copyValue(reflect.ValueOf(v)).Interface().(*T)
}

func copyValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(copyValue(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		for i := range v.NumField() {
			if f := c.Field(i); f.CanSet() {
				f.Set(copyValue(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(copyValue(v.Index(i)))
		}
		return c
	case reflect.Array:
		c := reflect.New(v.Type()).Elem()
		for i := range v.Len() {
			c.Index(i).Set(copyValue(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(copyValue(it.Key()), copyValue(it.Value()))
		}
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(copyValue(v.Elem()))
		return c
	default:
		// Booleans, numbers and strings are values (strings are immutable).
		return v
	}
}
