package config

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

func TestVersionReqCargoSemantics(t *testing.T) {
	t.Parallel()
	cases := []struct {
		req       string
		match     []string
		noMatch   []string
		wantError bool
	}{
		{req: "3.0.0", match: []string{"3.0.0", "3.9.1"}, noMatch: []string{"2.9.9", "4.0.0", "3.1.0-rc.1"}}, // bare = caret
		{req: "^3.0.0", match: []string{"3.0.0", "3.99.0"}, noMatch: []string{"4.0.0", "2.0.0"}},
		{req: "^0.2.3", match: []string{"0.2.3", "0.2.9"}, noMatch: []string{"0.3.0", "0.2.2"}},
		{req: "^0.0.3", match: []string{"0.0.3"}, noMatch: []string{"0.0.4"}},
		{req: "^0.0", match: []string{"0.0.0", "0.0.9"}, noMatch: []string{"0.1.0"}},
		{req: "^0", match: []string{"0.9.9"}, noMatch: []string{"1.0.0"}},
		{req: "^1.2", match: []string{"1.2.0", "1.9.0"}, noMatch: []string{"1.1.9", "2.0.0"}},
		{req: "~3.1.0", match: []string{"3.1.0", "3.1.7"}, noMatch: []string{"3.2.0", "3.0.9"}},
		{req: "~3.1", match: []string{"3.1.0"}, noMatch: []string{"3.2.0"}},
		{req: "~3", match: []string{"3.0.0", "3.9.0"}, noMatch: []string{"4.0.0"}},
		{req: ">=3.0.0", match: []string{"3.0.0", "10.0.0"}, noMatch: []string{"2.9.9", "4.0.0-beta"}},
		{req: ">=3.0.0, <3.2", match: []string{"3.1.9"}, noMatch: []string{"3.2.0"}},
		{req: ">3.1", match: []string{"3.2.0"}, noMatch: []string{"3.1.9"}},
		{req: "<=3.1", match: []string{"3.1.9"}, noMatch: []string{"3.2.0"}},
		{req: "=3.1", match: []string{"3.1.0", "3.1.5"}, noMatch: []string{"3.2.0"}},
		{req: "=3.1.2", match: []string{"3.1.2"}, noMatch: []string{"3.1.3"}},
		{req: "3.*", match: []string{"3.0.0", "3.5.1"}, noMatch: []string{"4.0.0"}},
		{req: "3.1.x", match: []string{"3.1.4"}, noMatch: []string{"3.2.0"}},
		{req: "*", match: []string{"0.0.1", "9.9.9"}, noMatch: []string{"1.0.0-rc.1"}},
		{req: ">= 3.0.0", match: []string{"3.0.0"}},
		// A prerelease matches only a comparator naming a prerelease of the same x.y.z.
		{req: "^3.1.0-rc.1", match: []string{"3.1.0-rc.1", "3.1.0-rc.2", "3.1.0", "3.2.0"}, noMatch: []string{"3.2.0-rc.1", "3.1.0-beta"}},
		{req: ">=3.1.0-rc.0, <4", match: []string{"3.1.0-rc.1"}, noMatch: []string{"3.5.0-rc.1"}},
		{req: "3.0.0 || 4.0.0", wantError: true},
		{req: "v3.0.0", wantError: true},
		{req: "", wantError: true},
		{req: "3.0.0.1", wantError: true},
		{req: "03.0.0", wantError: true},
		{req: ">=3.*", wantError: true},
		{req: "3.0 - 4.0", wantError: true},
		{req: "3.1-rc.1", wantError: true},
	}
	for _, tc := range cases {
		r, err := ParseVersionReq(tc.req)
		if tc.wantError {
			if err == nil || !errors.Is(err, ErrBadVersionReq) {
				t.Errorf("ParseVersionReq(%q) err = %v, want ErrBadVersionReq", tc.req, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseVersionReq(%q): %v", tc.req, err)
			continue
		}
		for _, v := range tc.match {
			if !r.Matches(semver.MustParse(v)) {
				t.Errorf("%q does not match %s, want a match", tc.req, v)
			}
		}
		for _, v := range tc.noMatch {
			if r.Matches(semver.MustParse(v)) {
				t.Errorf("%q matches %s, want none", tc.req, v)
			}
		}
	}
}

func TestResolveTag(t *testing.T) {
	t.Parallel()
	tags := []string{"latest", "v3-latest", "v2.9.0", "v3.0.0", "3.0.1", "v3.1.0", "v3.2.0-rc.1", "v3.2.0-rc.2", "v4.0.0-beta.1", "sha-abc1234", "v3.1"}
	yes := true
	cases := []struct {
		name     string
		ic       ImageConfig
		cli      string
		tags     []string
		want     string
		wantErrs []string
	}{
		{name: "semver caret keeps the v", ic: ImageConfig{Version: "^3.0.0"}, want: "v3.1.0"},
		{name: "semver default strategy, bare version is caret", ic: ImageConfig{Version: "3.0.0"}, want: "v3.1.0"},
		{name: "semver tag without v", ic: ImageConfig{Version: "~3.0", ResolutionStrategy: "semver"}, want: "3.0.1"},
		{name: "semver exact", ic: ImageConfig{Version: "=2.9.0"}, want: "v2.9.0"},
		{name: "prerelease needs allow_prerelease", ic: ImageConfig{Version: ">=3.2.0-rc.1"},
			want: "v3.2.5", tags: []string{"v3.2.5", "v3.2.0-rc.2"}},
		{name: "prerelease allowed", ic: ImageConfig{Version: ">=3.2.0-rc.1", AllowPrerelease: &yes}, want: "v3.2.0-rc.2"},
		{name: "allowed prerelease still follows Cargo", ic: ImageConfig{Version: "^3.0.0", AllowPrerelease: &yes}, want: "v3.1.0"},
		{name: "prerelease refused, says why", ic: ImageConfig{Registry: "ghcr.io/pacphi/sindri", Version: ">=3.2.0-rc.1, <3.2.0"},
			wantErrs: []string{"allow_prerelease is false"}},
		{name: "no match names constraint, repository and newest tags", ic: ImageConfig{Registry: "ghcr.io/pacphi/sindri", Version: "^5"},
			wantErrs: []string{`"^5"`, "ghcr.io/pacphi/sindri", "v4.0.0-beta.1, v3.2.0-rc.2, v3.2.0-rc.1, v3.1.0, 3.0.1", "11 tags"}},
		{name: "no tags at all", ic: ImageConfig{Registry: "r/x", Version: "^1"}, tags: []string{}, wantErrs: []string{"has no tags"}},
		{name: "no semver tags", ic: ImageConfig{Registry: "r/x", Version: "^1"}, tags: []string{"latest", "main"}, wantErrs: []string{"none of its 2 tags"}},
		{name: "bad constraint", ic: ImageConfig{Version: "v3"}, wantErrs: []string{"leading v", "image_config.version"}},
		{name: "latest-stable ignores the constraint", ic: ImageConfig{Version: "^2", ResolutionStrategy: "latest-stable"}, want: "v3.1.0"},
		{name: "latest-stable ignores allow_prerelease", ic: ImageConfig{Version: "x", ResolutionStrategy: "latest-stable", AllowPrerelease: &yes}, want: "v3.1.0"},
		{name: "pin-to-cli", ic: ImageConfig{Version: "^3", ResolutionStrategy: "pin-to-cli"}, cli: "3.0.0", want: "v3.0.0"},
		{name: "pin-to-cli with v", ic: ImageConfig{Version: "^3", ResolutionStrategy: "pin-to-cli"}, cli: "v3.1.0", want: "v3.1.0"},
		{name: "pin-to-cli missing tag", ic: ImageConfig{Registry: "r/x", Version: "^3", ResolutionStrategy: "pin-to-cli"}, cli: "3.3.0", wantErrs: []string{`"v3.3.0"`}},
		{name: "pin-to-cli unknown version", ic: ImageConfig{Version: "^3", ResolutionStrategy: "pin-to-cli"}, wantErrs: []string{"does not know its release version"}},
		{name: "explicit", ic: ImageConfig{Version: "nightly", ResolutionStrategy: "explicit"}, want: "nightly"},
		{name: "unknown strategy", ic: ImageConfig{Version: "1", ResolutionStrategy: "newest"}, wantErrs: []string{`"newest": unknown`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			list := tags
			if tc.tags != nil {
				list = tc.tags
			}
			got, err := ResolveTag(&tc.ic, list, tc.cli)
			if len(tc.wantErrs) == 0 {
				if err != nil || got != tc.want {
					t.Fatalf("ResolveTag = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ResolveTag = %q, want an error", got)
			}
			for _, w := range tc.wantErrs {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// listerFunc adapts a function to TagLister.
type listerFunc func(ctx context.Context, image string) ([]string, error)

func (f listerFunc) Tags(ctx context.Context, image string) ([]string, error) { return f(ctx, image) }

func TestResolveImageRef(t *testing.T) {
	t.Parallel()
	calls := 0
	lister := listerFunc(func(_ context.Context, image string) ([]string, error) {
		calls++
		if image != "ghcr.io/pacphi/sindri" {
			t.Errorf("listed %q", image)
		}
		return []string{"v1.0.0", "v1.4.2", "v2.0.0"}, nil
	})
	r := ImageResolver{Lister: lister}
	cfg := func(ic *ImageConfig, image string) *Config {
		return &Config{Deployment: Deployment{ImageConfig: ic, Image: image}}
	}
	cases := []struct {
		name, want string
		c          *Config
		wantCalls  int
		wantErr    error
	}{
		{name: "digest first", c: cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri", Digest: "sha256:ab", Version: "^1"}, ""), want: "ghcr.io/pacphi/sindri@sha256:ab"},
		{name: "tag_override next", c: cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri", TagOverride: "t", Version: "^1"}, ""), want: "ghcr.io/pacphi/sindri:t"},
		{name: "version resolved", c: cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri", Version: "^1.0.0"}, ""), want: "ghcr.io/pacphi/sindri:v1.4.2", wantCalls: 1},
		{name: "image_config alone", c: cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri"}, ""), want: "ghcr.io/pacphi/sindri:latest"},
		{name: "legacy image", c: cfg(nil, "ghcr.io/pacphi/sindri:v3-latest"), want: "ghcr.io/pacphi/sindri:v3-latest"},
		{name: "nothing", c: cfg(nil, ""), wantErr: ErrNoImage},
		{name: "bad constraint costs no request", c: cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri", Version: "1 || 2"}, ""), wantErr: ErrBadVersionReq},
		{name: "no match", c: cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri", Version: "^3"}, ""), wantErr: ErrNoMatchingTag, wantCalls: 1},
	}
	for _, tc := range cases {
		calls = 0
		got, err := r.ResolveImageRef(context.Background(), tc.c)
		if got != tc.want || !errors.Is(err, tc.wantErr) || (err != nil) != (tc.wantErr != nil) {
			t.Errorf("%s: ResolveImageRef = %q, %v; want %q, %v", tc.name, got, err, tc.want, tc.wantErr)
		}
		if calls != tc.wantCalls {
			t.Errorf("%s: %d tag listings, want %d", tc.name, calls, tc.wantCalls)
		}
		if want := tc.wantCalls > 0 || errors.Is(tc.wantErr, ErrBadVersionReq); tc.c.NeedsImageResolution() != want {
			t.Errorf("%s: NeedsImageResolution = %v, want %v", tc.name, !want, want)
		}
	}

	boom := errors.New("boom")
	_, err := ImageResolver{Lister: listerFunc(func(context.Context, string) ([]string, error) { return nil, boom })}.
		ResolveImageRef(context.Background(), cfg(&ImageConfig{Registry: "ghcr.io/pacphi/sindri", Version: "^1"}, ""))
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"^1"`) {
		t.Errorf("lister failure: err = %v", err)
	}
	if _, err := (ImageResolver{}).ResolveImageRef(context.Background(), cfg(&ImageConfig{Registry: "r/x", Version: "^1"}, "")); !errors.Is(err, ErrImageNeedsResolver) {
		t.Errorf("no lister: err = %v, want ErrImageNeedsResolver", err)
	}
}
