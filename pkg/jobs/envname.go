package jobs

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxEnvNameLen is the longest environment name: a DNS-1123 label.
const MaxEnvNameLen = 63

// envHashLen is the length of the hex hash suffix added when a name is truncated.
const envHashLen = 8

// branchHashLen is the length of the hex hash of the raw branch name that {branch} gets when
// folding it to a label lost information or made it look like a pull request's "pr-<n>".
const branchHashLen = 6

// repoHashLen is the length of {rh}, the hex hash of the repository.
const repoHashLen = 4

// Default environment name templates.
const (
	// TemplatePR is the default template when the input has a PR number.
	TemplatePR = "{name}-pr-{pr}"
	// TemplateBranch is the default template when the input has a branch and no PR.
	TemplateBranch = "{name}-{branch}"
	// TemplatePlain is the default template with neither.
	TemplatePlain = "{name}"
)

// Placeholders lists the placeholders an environment name template may use.
var Placeholders = []string{"name", "pr", "branch", "owner", "repo", "rh"}

// NameInput is what an environment name is derived from.
type NameInput struct {
	// Name is the config's name (sindri.yaml "name"). Required.
	Name string
	// Repo is the repository as "owner/name"; needed only by {owner}, {repo} and {rh}.
	Repo string
	// PR is the pull request number, 0 when there is none.
	PR int
	// Branch is the branch name (a "refs/heads/" prefix is dropped), "" when there is none.
	Branch string
	// Template overrides the default template; see Placeholders.
	Template string
}

// EnvName derives a stable environment name from in: the template (or the default one:
// TemplatePR when PR > 0, else TemplateBranch when Branch is set, else TemplatePlain) is
// filled in, then folded to a DNS-1123 label. Placeholders: {name}, {pr} (the number),
// {owner} and {repo} (the two halves of Repo), {rh} (4 hex digits of SHA-256 of Repo in lower
// case, for names that must differ across repositories sharing one executor pool) and {branch}.
//
// {branch} is the branch folded on its own; when that fold is lossy (the raw branch is not
// already a lowercase [a-z0-9-] label: "/", "_", upper case, non-ASCII, runs of '-') or the
// folded branch starts with "pr-<digits>" (the shape of the default PR name), it is followed by
// '-' and 6 hex digits of SHA-256 of the raw branch. So "feature-login" stays
// "app-feature-login", while "feature/login" and "Feature_Login" get different suffixes, and no
// branch can produce PR 7's "app-pr-7".
//
// The folding: accents are stripped (Unicode NFKD), letters
// lowercased, every other run of characters becomes one '-', leading and trailing '-' are
// removed, and "env-" is prefixed if the result does not start with a letter. A result longer
// than MaxEnvNameLen is cut and given a '-' plus an 8-hex-digit hash of the whole input, so
// two long names that share a prefix stay distinct. The same input always gives the same name.
//
// Errors: a *TemplateError (ErrBadTemplate) for an unknown placeholder, an unclosed or stray
// brace, or a placeholder whose value is missing ({pr} without a PR, ...); ErrBadName when the
// name is empty or folds to nothing.
func EnvName(in NameInput) (string, error) {
	if strings.TrimSpace(in.Name) == "" {
		return "", wrapName("config name is empty")
	}
	tmpl := in.Template
	if tmpl == "" {
		switch {
		case in.PR > 0:
			tmpl = TemplatePR
		case in.Branch != "":
			tmpl = TemplateBranch
		default:
			tmpl = TemplatePlain
		}
	}
	raw, err := render(tmpl, in)
	if err != nil {
		return "", err
	}
	label := fold(raw)
	if label == "" {
		return "", wrapName("name " + strconv.Quote(raw) + " has no letters or digits")
	}
	if label[0] < 'a' || label[0] > 'z' {
		label = "env-" + label
	}
	if len(label) <= MaxEnvNameLen {
		return label, nil
	}
	cut := strings.TrimRight(label[:MaxEnvNameLen-1-envHashLen], "-")
	return cut + "-" + inputHash(in, tmpl), nil
}

func wrapName(problem string) error { return &nameError{problem} }

type nameError struct{ problem string }

func (e *nameError) Error() string        { return "environment name: " + e.problem }
func (e *nameError) Is(target error) bool { return target == ErrBadName }

// render fills tmpl's placeholders with in's raw values.
func render(tmpl string, in NameInput) (string, error) {
	var b strings.Builder
	for i := 0; i < len(tmpl); {
		switch c := tmpl[i]; c {
		case '}':
			return "", &TemplateError{Template: tmpl, Pos: i, Problem: "'}' without a matching '{'"}
		case '{':
			end := strings.IndexAny(tmpl[i+1:], "{}")
			if end < 0 || tmpl[i+1+end] != '}' {
				return "", &TemplateError{Template: tmpl, Pos: i, Problem: "'{' is not closed by '}'"}
			}
			ph := tmpl[i+1 : i+1+end]
			v, err := placeholder(ph, in)
			if err != "" {
				return "", &TemplateError{Template: tmpl, Pos: i, Problem: err}
			}
			b.WriteString(v)
			i += end + 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// placeholder returns the value of ph, or a problem description.
func placeholder(ph string, in NameInput) (string, string) {
	owner, repo, _ := strings.Cut(in.Repo, "/")
	switch ph {
	case "name":
		return in.Name, ""
	case "pr":
		if in.PR <= 0 {
			return "", "placeholder {pr} needs a pull request number, and there is none"
		}
		return strconv.Itoa(in.PR), ""
	case "branch":
		br := strings.TrimPrefix(in.Branch, "refs/heads/")
		if br == "" {
			return "", "placeholder {branch} needs a branch, and there is none"
		}
		return branchValue(br), ""
	case "rh":
		if owner == "" || repo == "" {
			return "", "placeholder {rh} needs the repository as \"owner/name\""
		}
		sum := sha256.Sum256([]byte(strings.ToLower(in.Repo)))
		return hex.EncodeToString(sum[:])[:repoHashLen], ""
	case "owner":
		if owner == "" || repo == "" {
			return "", "placeholder {owner} needs the repository as \"owner/name\""
		}
		return owner, ""
	case "repo":
		if owner == "" || repo == "" {
			return "", "placeholder {repo} needs the repository as \"owner/name\""
		}
		return repo, ""
	}
	return "", "unknown placeholder {" + ph + "}; valid: {" + strings.Join(Placeholders, "}, {") + "}"
}

// branchValue is br folded to a label, plus a hash of br when the fold alone could make two
// branches, or a branch and a pull request, share a name.
func branchValue(br string) string {
	f := fold(br)
	if f == br && !prLike(f) {
		return f
	}
	sum := sha256.Sum256([]byte(br))
	h := hex.EncodeToString(sum[:])[:branchHashLen]
	if f == "" {
		return h
	}
	return f + "-" + h
}

// prLike reports whether label starts with the "pr-<digits>" segment of a pull request name.
func prLike(label string) bool {
	rest, ok := strings.CutPrefix(label, "pr-")
	if !ok {
		return false
	}
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	return n > 0 && (n == len(rest) || rest[n] == '-')
}

// fold maps s to [a-z0-9-] with single dashes and no dash at either end.
func fold(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue // combining mark left by NFKD: "é" -> "e"
		}
		r = unicode.ToLower(r)
		if sub, ok := foldLetters[r]; ok {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteString(sub)
			continue
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// foldLetters spells letters that NFKD does not decompose into ASCII.
var foldLetters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'ø': "o", 'œ': "oe", 'đ': "d", 'ð': "d", 'ł': "l", 'þ': "th", 'ı': "i",
}

// inputHash is a short stable hash of every input field and the effective template.
func inputHash(in NameInput, tmpl string) string {
	h := sha256.New()
	for _, f := range []string{in.Name, in.Repo, strconv.Itoa(in.PR), in.Branch, tmpl} {
		h.Write([]byte(strconv.Itoa(len(f)) + ":" + f + ";"))
	}
	return hex.EncodeToString(h.Sum(nil))[:envHashLen]
}
