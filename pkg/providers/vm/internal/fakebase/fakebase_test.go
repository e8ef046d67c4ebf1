package fakebase

import (
	"slices"
	"testing"
	"time"
)

func TestDefaultSetsOnlyZero(t *testing.T) {
	s, d := "", 5*time.Second
	Default(&s, "x")
	Default(&d, time.Second)
	if s != "x" || d != 5*time.Second {
		t.Fatalf("got %q %v, want x 5s", s, d)
	}
}

func TestSortedKeysAndInOrder(t *testing.T) {
	m := map[string]int{"c": 3, "a": 1, "b": 2}
	if got := SortedKeys(m, nil); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("SortedKeys(all) = %v", got)
	}
	odd := func(v int) bool { return v%2 == 1 }
	if got := SortedKeys(m, odd); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("SortedKeys(odd) = %v", got)
	}
	if got := InOrder([]string{"c", "b", "a"}, m, odd); !slices.Equal(got, []string{"c", "a"}) {
		t.Fatalf("InOrder(odd) = %v", got)
	}
}

func TestPatternsMatchWholeNames(t *testing.T) {
	re := Patterns(`Filter\.\d+\.Name`)[0]
	if !re.MatchString("Filter.1.Name") || re.MatchString("XFilter.1.Name") || re.MatchString("Filter.1.NameX") {
		t.Fatal("a pattern must match the whole name only")
	}
}
