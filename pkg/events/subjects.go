// Package events is the NATS JetStream side of sindri: subjects, streams and KV buckets, the
// CloudEvents envelope with typed event data, publishing, following a job's events, the
// environment record store, per-environment leases, an embedded server and client connection.
package events

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Every subject, stream and bucket name sindri uses. Nothing else in the project spells them.
const (
	// JobsSubjectPrefix prefixes job subjects: sindri.jobs.<provider>.
	JobsSubjectPrefix = "sindri.jobs."
	// JobsSubjectAll matches every job subject.
	JobsSubjectAll = JobsSubjectPrefix + ">"
	// EventsSubjectPrefix prefixes event subjects: sindri.events.<job-id>.
	EventsSubjectPrefix = "sindri.events."
	// EventsSubjectAll matches every event subject.
	EventsSubjectAll = EventsSubjectPrefix + ">"

	// ExecutorConsumerPrefix prefixes the durable consumer an executor keeps on JobsStream
	// for each provider it serves: sindri-exec-<provider>.
	ExecutorConsumerPrefix = "sindri-exec-"

	// JobsStream is the work-queue stream of jobs.
	JobsStream = "SINDRI_JOBS"
	// EventsStream is the limits stream of job events, kept for replay.
	EventsStream = "SINDRI_EVENTS"

	// EnvsBucket is the KV bucket of environment records, keyed by environment name.
	EnvsBucket = "sindri_envs"
	// LocksBucket is the KV bucket of per-environment leases, keyed by environment name.
	LocksBucket = "sindri_locks"

	// HeaderMsgID is the JetStream de-duplication header.
	HeaderMsgID = "Nats-Msg-Id"
)

// JobsSubject returns the subject jobs for provider are published on. It returns an error
// when provider is empty or would not be a single subject token.
func JobsSubject(provider string) (string, error) {
	if err := token("provider", provider); err != nil {
		return "", err
	}
	return JobsSubjectPrefix + provider, nil
}

// EventsSubject returns the subject the events of job jobID are published on. It returns an
// error when jobID is empty or would not be a single subject token.
func EventsSubject(jobID string) (string, error) {
	if err := token("job id", jobID); err != nil {
		return "", err
	}
	return EventsSubjectPrefix + jobID, nil
}

// maxToken bounds a token: every id and name sindri puts in a subject is far shorter, and a
// subject longer than the server's control line closes the connection that sends it.
const maxToken = 256

func token(what, v string) error {
	if v == "" {
		return fmt.Errorf("events: %s is empty: %w", what, ErrBadSubject)
	}
	if len(v) > maxToken {
		return fmt.Errorf("events: %s of %d bytes is longer than %d: %w", what, len(v), maxToken, ErrBadSubject)
	}
	// The server refuses subjects with whitespace or control characters of any kind, and the
	// wildcards and separator would make the subject mean something else.
	if strings.ContainsAny(v, ".*>") || strings.ContainsFunc(v, func(r rune) bool {
		return r <= ' ' || r == 0x7f || unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
	}) {
		return fmt.Errorf("events: %s %q is not a single subject token: %w", what, v, ErrBadSubject)
	}
	return nil
}
