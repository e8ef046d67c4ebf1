package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// repoPattern is a GitHub owner/name; anything else is shown without a link.
var repoPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$`)

var funcs = template.FuncMap{
	"prURL": func(repo string, pr int) string {
		if !repoPattern.MatchString(repo) || pr <= 0 {
			return ""
		}
		return "https://github.com/" + repo + "/pull/" + strconv.Itoa(pr)
	},
	"repoURL": func(repo string) string {
		if !repoPattern.MatchString(repo) {
			return ""
		}
		return "https://github.com/" + repo
	},
	// webURL returns u when it is an http(s) URL, else "" (the page then shows it as text).
	"webURL": func(u string) string {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return ""
		}
		return u
	},
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"since": func(now, t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return short(now.Sub(t))
	},
	"until": func(now, t time.Time) string {
		if t.IsZero() {
			return ""
		}
		if d := t.Sub(now); d > 0 {
			return "in " + short(d)
		}
		return short(now.Sub(t)) + " ago"
	},
	"dur": func(d time.Duration) string {
		if d <= 0 {
			return ""
		}
		if d < time.Second {
			return d.Round(time.Millisecond).String()
		}
		return d.Round(100 * time.Millisecond).String()
	},
	"bytes": func(n uint64) string {
		const unit = 1024
		if n < unit {
			return fmt.Sprintf("%d B", n)
		}
		div, exp := uint64(unit), 0
		for m := n / unit; m >= unit; m /= unit {
			div *= unit
			exp++
		}
		return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
	},
	"sortLink": func(f envFilter, key string) string {
		q := url.Values{}
		for k, v := range map[string]string{"repo": f.Repo, "provider": f.Provider, "state": f.State, "sort": key} {
			if v != "" {
				q.Set(k, v)
			}
		}
		return "/?" + q.Encode()
	},
}

// short renders a duration the way a table cell wants it: "45s", "12m", "3h5m", "4d2h".
func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	return fmt.Sprintf("%dd%dh", days, h)
}
