package config

import "strings"

// suggest returns the known key closest to name, or "" when none is close enough. Keys that
// differ only in case, '_' or '-' match first (autoinstall, auto-install, auto_install); then
// edit distance up to a third of the name's length (at most 3); then a known key that starts
// with name (initialDelay -> initialDelaySeconds).
func suggest(name string, known []string) string {
	norm := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	for _, k := range known {
		if norm(k) == norm(name) {
			return k
		}
	}
	best, bestD := "", min(3, max(1, len(name)/3))+1
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return best
	}
	if len(name) >= 4 {
		for _, k := range known {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(name)) {
				return k
			}
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b (bytes; keys are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20 // no suggestion for absurd keys; keeps the cost bounded
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
