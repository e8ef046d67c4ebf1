package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/sindri/deploy/v3/internal/excerpt"
)

// Image resolution strategies (deployment.image_config.resolution_strategy).
const (
	StrategySemver       = "semver"
	StrategyLatestStable = "latest-stable"
	StrategyPinToCLI     = "pin-to-cli"
	StrategyExplicit     = "explicit"
)

// ErrNoMatchingTag is matched by the *TagMatchError ResolveTag returns when no tag of the
// repository satisfies the strategy.
var ErrNoMatchingTag = errors.New("no matching image tag")

// TagMatchError says which tags were looked at when none satisfied the strategy.
type TagMatchError struct {
	Registry   string // image_config.registry
	Strategy   string
	Constraint string   // image_config.version, or for pin-to-cli the tag that had to exist
	Newest     []string // the highest version tags seen (at most five), newest first
	Count      int      // how many tags the repository has
	Reason     string   // extra advice, may be empty
}

// Error implements error.
func (e *TagMatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: no tag of %s satisfies %s %s", ErrNoMatchingTag, e.Registry, e.Strategy, excerpt.Quote(e.Constraint))
	switch {
	case e.Count == 0:
		b.WriteString(" (the repository has no tags)")
	case len(e.Newest) == 0:
		fmt.Fprintf(&b, " (none of its %d tags is a semantic version)", e.Count)
	default:
		fmt.Fprintf(&b, " (%d tags; newest versions: %s)", e.Count, strings.Join(e.Newest, ", "))
	}
	if e.Reason != "" {
		b.WriteString("; " + e.Reason)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoMatchingTag) true.
func (e *TagMatchError) Is(target error) bool { return target == ErrNoMatchingTag }

// TagLister lists the tags of an image repository named the way image_config.registry names it
// ("ghcr.io/pacphi/sindri"). pkg/registry's Client is the implementation that talks to registries.
type TagLister interface {
	Tags(ctx context.Context, image string) ([]string, error)
}

// ImageResolver resolves image_config.version against a registry.
type ImageResolver struct {
	// Lister lists the repository's tags.
	Lister TagLister
	// CLIVersion is the version pin-to-cli pins to (without a leading v); empty when unknown,
	// which makes pin-to-cli fail with advice.
	CLIVersion string
}

// ResolveImageRef returns the image to run: Config.ImageRef when that needs no registry, else
// image_config.registry with the tag r's strategy picks from the repository's tags. Errors:
// those of ImageRef other than ErrImageNeedsResolver; the lister's (wrapped); ErrBadVersionReq;
// a *TagMatchError (ErrNoMatchingTag).
func (r ImageResolver) ResolveImageRef(ctx context.Context, c *Config) (string, error) {
	ref, err := c.ImageRef()
	if !errors.Is(err, ErrImageNeedsResolver) {
		return ref, err
	}
	ic := c.Deployment.ImageConfig
	if r.Lister == nil {
		return "", err
	}
	if _, err := ic.versionReq(); err != nil {
		return "", err // before any request: a typo must not cost a registry round trip
	}
	tags, err := r.Lister.Tags(ctx, ic.Registry)
	if err != nil {
		return "", fmt.Errorf("resolve image_config.version %s: %w", excerpt.Quote(ic.Version), err)
	}
	tag, err := ResolveTag(ic, tags, r.CLIVersion)
	if err != nil {
		return "", err
	}
	return ic.Registry + ":" + tag, nil
}

// NeedsImageResolution reports whether the config's image comes from a registry tag lookup
// (image_config.version with a strategy other than explicit, and no digest or tag_override).
func (c *Config) NeedsImageResolution() bool {
	_, err := c.ImageRef()
	return errors.Is(err, ErrImageNeedsResolver)
}

func (ic *ImageConfig) versionReq() (*VersionReq, error) {
	if s := orDefault(ic.ResolutionStrategy, StrategySemver); s != StrategySemver {
		return nil, nil
	}
	req, err := ParseVersionReq(ic.Version)
	if err != nil {
		return nil, fmt.Errorf("deployment.image_config.version: %w", err)
	}
	return req, nil
}

// ResolveTag picks the tag of ic's strategy (contract §1.3.2) from tags and returns it as
// listed (a "v3.1.0" tag stays "v3.1.0"):
//   - semver: the highest tag that, without a leading v, is a semantic version matching
//     ic.Version (Cargo semantics, see VersionReq); prereleases only with allow_prerelease;
//   - latest-stable: the highest non-prerelease semantic version, whatever ic.Version says;
//   - pin-to-cli: "v"+cliVersion, which must be listed;
//   - explicit: ic.Version itself.
//
// Errors: ErrBadVersionReq; a *TagMatchError (ErrNoMatchingTag); an error naming an unknown
// strategy.
func ResolveTag(ic *ImageConfig, tags []string, cliVersion string) (string, error) {
	strategy := orDefault(ic.ResolutionStrategy, StrategySemver)
	noMatch := func(constraint, reason string) error {
		return &TagMatchError{Registry: ic.Registry, Strategy: strategy, Constraint: constraint,
			Newest: newestTags(tags, 5), Count: len(tags), Reason: reason}
	}
	switch strategy {
	case StrategyExplicit:
		return ic.Version, nil
	case StrategyPinToCLI:
		v := strings.TrimPrefix(cliVersion, "v")
		if v == "" {
			return "", noMatch("v{action version}", "this build of the action does not know its release version (see docs/config.md, Image resolution); use resolution_strategy: semver or explicit")
		}
		if want := "v" + v; slices.Contains(tags, want) {
			return want, nil
		}
		return "", noMatch("v"+v, "")
	case StrategySemver, StrategyLatestStable:
	default:
		return "", fmt.Errorf("deployment.image_config.resolution_strategy %s: unknown; valid: semver, latest-stable, pin-to-cli, explicit", excerpt.Quote(strategy))
	}
	req, err := ic.versionReq()
	if err != nil {
		return "", err
	}
	allowPre := strategy == StrategySemver && ic.AllowPrerelease != nil && *ic.AllowPrerelease
	best, bestTag := (*semver.Version)(nil), ""
	for _, tag := range tags {
		v := tagVersion(tag)
		if v == nil || (v.Prerelease() != "" && !allowPre) || (req != nil && !req.Matches(v)) {
			continue
		}
		if best == nil || v.Compare(best) >= 0 {
			best, bestTag = v, tag
		}
	}
	if best == nil {
		constraint, reason := ic.Version, ""
		if strategy == StrategyLatestStable {
			constraint = "any stable version"
		}
		if strategy == StrategySemver && !allowPre && hasPrerelease(tags, req) {
			reason = "prereleases match but allow_prerelease is false"
		}
		return "", noMatch(constraint, reason)
	}
	return bestTag, nil
}

// tagVersion parses tag, less a leading v, as a strict semantic version; nil when it is not one.
func tagVersion(tag string) *semver.Version {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
	if err != nil {
		return nil
	}
	return v
}

func hasPrerelease(tags []string, req *VersionReq) bool {
	for _, t := range tags {
		if v := tagVersion(t); v != nil && v.Prerelease() != "" && req.Matches(v) {
			return true
		}
	}
	return false
}

// newestTags returns the n highest semantic-version tags, highest first.
func newestTags(tags []string, n int) []string {
	type tv struct {
		tag string
		v   *semver.Version
	}
	var vs []tv
	for _, t := range tags {
		if v := tagVersion(t); v != nil {
			vs = append(vs, tv{t, v})
		}
	}
	slices.SortStableFunc(vs, func(a, b tv) int { return b.v.Compare(a.v) })
	out := make([]string, 0, min(n, len(vs)))
	for _, x := range vs[:min(n, len(vs))] {
		out = append(out, x.tag)
	}
	return out
}
