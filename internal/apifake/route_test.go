package apifake

import "testing"

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, method, path string
		want                        bool
	}{
		{"exact", "GET /v1/apps", "GET", "/v1/apps", true},
		{"exact other path", "GET /v1/apps", "GET", "/v1/apps/x", false},
		{"other method", "GET /v1/apps", "POST", "/v1/apps", false},
		{"any method", "/v1/apps", "DELETE", "/v1/apps", true},
		{"wildcard segment", "POST /v1/apps/{app}/machines", "POST", "/v1/apps/a1/machines", true},
		{"wildcard needs a segment", "POST /v1/apps/{app}/machines", "POST", "/v1/apps//machines", false},
		{"wildcard is one segment", "GET /v1/apps/{app}", "GET", "/v1/apps/a/b", false},
		{"trailing slash is a prefix", "/v1/", "GET", "/v1/apps/a", true},
		{"prefix needs the slash", "/v1/", "GET", "/v1", false},
		{"rest wildcard", "GET /files/{path...}", "GET", "/files/a/b/c", true},
		{"rest wildcard other root", "GET /files/{path...}", "GET", "/other/a", false},
		{"method only", "POST ", "POST", "/anything/at/all", true},
		{"method only, other method", "POST ", "GET", "/anything", false},
		{"empty matches all", "", "PATCH", "/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parsePattern(tt.pattern).match(tt.method, tt.path); got != tt.want {
				t.Errorf("%q matches %s %s = %v, want %v", tt.pattern, tt.method, tt.path, got, tt.want)
			}
		})
	}
}
