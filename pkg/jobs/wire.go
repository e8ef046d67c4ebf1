package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// New returns a job of wire version WireVersion with a fresh UUIDv7 id and CreatedAt set to now
// (UTC, millisecond precision). The caller fills the remaining fields and should call Validate
// before publishing. It returns an error only when the system cannot produce a UUIDv7.
func New(kind Kind, env, provider string) (*Job, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("jobs: new job id: %w", err)
	}
	return &Job{
		V:         WireVersion,
		ID:        id.String(),
		Kind:      kind,
		Env:       env,
		Provider:  provider,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
	}, nil
}

// Encode validates j and returns its JSON wire form. Errors match ErrInvalid or
// ErrUnknownVersion.
func (j *Job) Encode() ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("jobs: encode %s: %w", j.ID, err)
	}
	return b, nil
}

// Decode parses a job from its JSON wire form and validates it.
//
// Errors: ErrMalformed when b is not a JSON object of the right shape; a *VersionError
// (errors.Is ErrUnknownVersion) when "v" is missing or not WireVersion — the returned *Job is
// then non-nil with only V and ID filled (when readable) so the caller can refuse it by id;
// ErrInvalid (joined *FieldError values) when a field breaks the contract — the returned *Job
// is then the decoded job. Unknown fields are ignored within a wire version.
func Decode(b []byte) (*Job, error) {
	var head struct {
		V  json.RawMessage `json:"v"`
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var v int
	if len(head.V) == 0 || json.Unmarshal(head.V, &v) != nil || v != WireVersion {
		partial := &Job{V: v}
		_ = json.Unmarshal(head.ID, &partial.ID) // best effort: the id names the refusal event
		return partial, &VersionError{Got: v, ID: partial.ID}
	}
	var j Job
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := j.Validate(); err != nil {
		return &j, err
	}
	return &j, nil
}

var (
	dns1123Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	providerName = regexp.MustCompile(`^[a-z0-9]([-_a-z0-9]*[a-z0-9])?$`)
	repoName     = regexp.MustCompile(`^[A-Za-z0-9][-A-Za-z0-9_.]*/[-A-Za-z0-9_.]+$`)
	gitSHA       = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
)

// ValidEnvName reports whether s is a valid environment name: a DNS-1123 label of at most 63
// characters that starts with a letter.
func ValidEnvName(s string) bool { return len(s) <= MaxEnvNameLen && dns1123Label.MatchString(s) }

// ValidID reports whether s has the form of a job id: a UUID in its canonical 36-character
// form (any version; Validate further requires version 7). An executor refusing a message files
// the refusal under the id the message claims only when it is valid (see events.RefusedID).
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// ValidProviderName reports whether s can name a provider on the wire: lowercase letters,
// digits, '-' and '_', so that it is a single NATS subject token.
func ValidProviderName(s string) bool { return len(s) <= 64 && providerName.MatchString(s) }

// Validate checks j against the v1 contract.
//
// Errors: a *VersionError (ErrUnknownVersion) when V is not WireVersion; otherwise
// errors.Join of every *FieldError found (each matches ErrInvalid). Rules: id is a UUIDv7; kind
// is known; env is a DNS-1123 label (ValidEnvName); provider is a subject-safe name
// (ValidProviderName); generation >= 1 for kinds that mutate; repo, when set, is "owner/name";
// pr >= 0; sha, when set, is a 40- or 64-digit lowercase hex; created_at is set; deadline, when
// set, is after created_at; config.text is set for deploy and plan; trigger, when set, is
// "event" or "event.action".
func (j *Job) Validate() error {
	if j == nil {
		return &FieldError{Field: "job", Problem: "is nil"}
	}
	if j.V != WireVersion {
		return &VersionError{Got: j.V, ID: j.ID}
	}
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, a...)})
	}
	if id, err := uuid.Parse(j.ID); err != nil || !ValidID(j.ID) {
		bad("id", "must be a UUIDv7, got %q", j.ID)
	} else if id.Version() != 7 {
		bad("id", "must be a UUIDv7, got version %d", id.Version())
	}
	if _, err := ParseKind(string(j.Kind)); err != nil {
		bad("kind", "unknown kind %q; valid: %s", j.Kind, kindList())
	}
	if !ValidEnvName(j.Env) {
		bad("env", "must be a DNS-1123 label of at most %d characters starting with a letter, got %q", MaxEnvNameLen, j.Env)
	}
	if j.Provider == "" {
		bad("provider", "must be set")
	} else if !ValidProviderName(j.Provider) {
		bad("provider", "must be lowercase letters, digits, '-' or '_', got %q", j.Provider)
	}
	if j.Kind.Mutates() && j.Generation == 0 {
		bad("generation", "must be >= 1 for kind %s (take it from the env record's desired generation)", j.Kind)
	}
	if j.Repo != "" && !repoName.MatchString(j.Repo) {
		bad("repo", "must be \"owner/name\", got %q", j.Repo)
	}
	if j.PR < 0 {
		bad("pr", "must be >= 0, got %d", j.PR)
	}
	if j.SHA != "" && !gitSHA.MatchString(j.SHA) {
		bad("sha", "must be a full lowercase hex commit id, got %q", j.SHA)
	}
	if j.Trigger != "" && !validTrigger(j.Trigger) {
		bad("trigger", "must be \"event\" or \"event.action\" (lowercase, '_'), got %q", j.Trigger)
	}
	if j.CreatedAt.IsZero() {
		bad("created_at", "must be set")
	}
	if !j.Deadline.IsZero() && !j.Deadline.After(j.CreatedAt) {
		bad("deadline", "must be after created_at")
	}
	if j.Image != "" && (strings.ContainsFunc(j.Image, unicode.IsSpace) || len(j.Image) > 1024) {
		bad("image", "must be an image reference without spaces, at most 1024 characters, got %q", j.Image)
	}
	if j.Kind.NeedsConfig() && strings.TrimSpace(j.Config.Text) == "" {
		bad("config.text", "must hold the sindri.yaml content for kind %s", j.Kind)
	}
	if j.Kind == KindImageDelete && j.Image == "" {
		bad("image", "must name the image to delete (its cloud image id) for kind %s", j.Kind)
	}
	return errors.Join(errs...)
}

var triggerRe = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)?$`)

func validTrigger(s string) bool { return triggerRe.MatchString(s) }

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}
