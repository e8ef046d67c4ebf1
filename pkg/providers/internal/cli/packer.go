package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrNotMachineReadable is matched by ParseMachineReadable's error for a line that is not in
// packer's -machine-readable format (a plain log line, for example).
var ErrNotMachineReadable = errors.New("not a packer machine-readable line")

// PackerMessage is one line of packer -machine-readable output:
// "timestamp,target,type,data...".
type PackerMessage struct {
	// Time is when packer printed the line (a Unix time in seconds).
	Time time.Time
	// Target is the build the line is about; empty for packer itself.
	Target string
	// Type is the message type: "ui", "artifact", "artifact-count", "error", "version", ...
	Type string
	// Data are the type's fields, unescaped: packer writes a comma inside a field as
	// "%!(PACKER_COMMA)", a newline as `\n` and a carriage return as `\r`.
	Data []string
}

// UI returns the kind ("say", "message", "error") and text of a "ui" message, and false for
// other types.
func (m PackerMessage) UI() (kind, text string, ok bool) {
	if m.Type != "ui" || len(m.Data) < 2 {
		return "", "", false
	}
	return m.Data[0], m.Data[1], true
}

// ParseMachineReadable parses one line of packer -machine-readable output (without its line
// ending). It returns an error matching ErrNotMachineReadable when the line has fewer than
// three fields or its first field is not a Unix time.
func ParseMachineReadable(line string) (PackerMessage, error) {
	f := strings.Split(strings.TrimRight(line, "\r\n"), ",")
	if len(f) < 3 || f[2] == "" {
		return PackerMessage{}, fmt.Errorf("packer: %w", ErrNotMachineReadable)
	}
	sec, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || sec < 0 {
		return PackerMessage{}, fmt.Errorf("packer: timestamp %q: %w", f[0], ErrNotMachineReadable)
	}
	m := PackerMessage{Time: time.Unix(sec, 0).UTC(), Target: unescapePacker(f[1]), Type: f[2]}
	for _, d := range f[3:] {
		m.Data = append(m.Data, unescapePacker(d))
	}
	return m, nil
}

var packerUnescaper = strings.NewReplacer(`%!(PACKER_COMMA)`, ",", `\n`, "\n", `\r`, "\r")

func unescapePacker(s string) string { return packerUnescaper.Replace(s) }
