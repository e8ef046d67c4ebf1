package config

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// v2ProfileSource is where v2Profiles come from: upstream's V2 profile definitions, last
// changed in that commit and unchanged up to fe6f9aaa9837510317cea829917b568424fad46d, the
// last upstream commit that still holds the V2 tree. Every extension each list names exists in
// V3 (v3/extensions/<name>/extension.yaml at that same commit).
const v2ProfileSource = "github.com/pacphi/sindri v2/docker/lib/profiles.yaml @ 0abee1768d068ef03656ed6bdf3ec2f3c1006b97"

// v2Profiles are the V2 extension profiles that V3 dropped, each with the extension list V2
// installed for it (source: v2ProfileSource). A V2 config naming one is read as that list in
// extensions.active, with a warning giving the V3 spelling.
var v2Profiles = map[string][]string{
	"ai-dev": {"nodejs", "python", "golang", "spec-kit", "ollama", "ai-toolkit", "mdflow",
		"openskills", "pal-mcp-server", "supabase-cli", "linear-mcp", "monitoring"},
}

// V2ProfileExtensions returns the extension list V2 gave a profile that V3 dropped, and
// whether name is one.
func V2ProfileExtensions(name string) ([]string, bool) {
	l, ok := v2Profiles[name]
	return slices.Clone(l), ok
}

// v2Profile reads extensions.profile when it names a dropped V2 profile: the profile's V2
// extension list (followed by extensions.additional, V2's way of adding to a profile) becomes
// extensions.active, and a warning gives the V3 way to write it. It reports whether it did.
func (d *decoder) v2Profile(m *mapView, ext *Extensions) bool {
	_, v, path, ok := m.get("profile")
	if v = resolve(v); !ok || v == nil || v.Kind != yaml.ScalarNode {
		return false
	}
	list, ok := v2Profiles[v.Value]
	if !ok {
		return false
	}
	m.strList("additional", nil, &ext.Additional)
	active := slices.Clone(list)
	for _, a := range ext.Additional {
		if !slices.Contains(active, a) {
			active = append(active, a)
		}
	}
	ext.Active, ext.Additional = active, nil
	d.warnf(v, path, "write it the V3 way: replace profile: "+v.Value+" with active: ["+strings.Join(active, ", ")+"]",
		"%q is a Sindri V2 profile that V3 dropped: read as the extension list V2 gave it (%s)",
		v.Value, v2ProfileSource)
	return true
}
