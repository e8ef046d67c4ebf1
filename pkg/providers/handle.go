package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Handle is a provider's versioned record of what it made for an environment: enough to find
// it again without the config (a Kubernetes namespace, a Fly app, a RunPod pod id, a cloud and
// region). Its text form, used in Deployment.Handle and the env record, is
// "<provider>/v<version>:<state>", where state is JSON.
//
// A handle is a hint, never the only truth: labels and names on the platform win, and a
// provider must accept a stale handle (the resource it names is gone) as "look again".
type Handle struct {
	Provider string
	Version  int
	// State is the provider's JSON.
	State json.RawMessage
}

// ErrBadHandle is a handle text that cannot be parsed, or one of another provider.
var ErrBadHandle = errors.New("bad provider handle")

// NewHandle encodes state as JSON into a handle of provider at version.
func NewHandle(provider string, version int, state any) (string, error) {
	b, err := json.Marshal(state)
	if err != nil {
		return "", fmt.Errorf("providers: handle for %s: %w", provider, err)
	}
	return Handle{Provider: provider, Version: version, State: b}.String(), nil
}

// String returns the text form "<provider>/v<version>:<state>".
func (h Handle) String() string {
	return h.Provider + "/v" + strconv.Itoa(h.Version) + ":" + string(h.State)
}

// ParseHandle reads a handle's text form. A state that is not JSON (handles written before
// states were JSON, such as "docker/v1:<container id>") is taken as a JSON string. An empty
// text is (nil, nil).
func ParseHandle(text string) (*Handle, error) {
	if text == "" {
		return nil, nil
	}
	head, state, ok := strings.Cut(text, ":")
	name, ver, ok2 := strings.Cut(head, "/v")
	if !ok || !ok2 || name == "" {
		return nil, fmt.Errorf("%w: want <provider>/v<version>:<state>", ErrBadHandle)
	}
	v, err := strconv.Atoi(ver)
	if err != nil || v < 1 {
		return nil, fmt.Errorf("%w: version of a %s handle is not a positive number", ErrBadHandle, name)
	}
	raw := json.RawMessage(state)
	if !json.Valid(raw) {
		raw, _ = json.Marshal(state)
	}
	return &Handle{Provider: name, Version: v, State: bytes.Clone(raw)}, nil
}

// Decode unmarshals the handle's state into v after checking it belongs to provider and its
// version is at most maxVersion. Errors wrap ErrBadHandle.
func (h *Handle) Decode(provider string, maxVersion int, v any) error {
	switch {
	case h == nil:
		return fmt.Errorf("%w: no handle", ErrBadHandle)
	case h.Provider != provider:
		return fmt.Errorf("%w: a %s handle given to provider %s", ErrBadHandle, h.Provider, provider)
	case h.Version > maxVersion:
		return fmt.Errorf("%w: %s handle version %d is newer than this executor understands (%d)", ErrBadHandle, provider, h.Version, maxVersion)
	}
	if err := json.Unmarshal(h.State, v); err != nil {
		return fmt.Errorf("%w: %s handle state: %v", ErrBadHandle, provider, err)
	}
	return nil
}
