package providertest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

// Op is the kind of a provider operation.
type Op string

// Operations a Fake records.
const (
	OpPlan    Op = "plan"
	OpDeploy  Op = "deploy"
	OpStatus  Op = "status"
	OpStop    Op = "stop"
	OpStart   Op = "start"
	OpDestroy Op = "destroy"
)

// String implements fmt.Stringer.
func (o Op) String() string { return string(o) }

// Mutates reports whether the operation changes the environment. Only mutating operations
// must never overlap on one environment.
func (o Op) Mutates() bool {
	switch o {
	case OpDeploy, OpStop, OpStart, OpDestroy:
		return true
	}
	return false
}

// Interval is one recorded operation.
type Interval struct {
	// ID is unique within the log.
	ID    string `json:"id"`
	Op    Op     `json:"op"`
	Env   string `json:"env"`
	JobID string `json:"job_id,omitempty"`
	// Generation is parsed from the spec's providers.LabelGeneration (0 when absent).
	Generation uint64    `json:"generation,omitempty"`
	PID        int       `json:"pid"`
	Start      time.Time `json:"start"`
	// End is zero while the operation runs, or when its process died before finishing.
	End time.Time `json:"end,omitzero"`
	// Err is the error text the operation returned ("" for success).
	Err string `json:"err,omitempty"`
}

// Finished reports whether the operation returned.
func (iv Interval) Finished() bool { return !iv.End.IsZero() }

// Overlap is a pair of mutating operations on one environment whose intervals intersect.
type Overlap struct {
	A, B Interval
}

// String describes the overlap for a test failure message.
func (o Overlap) String() string {
	return fmt.Sprintf("env %s: %s(job %s, pid %d, %s..%s) overlaps %s(job %s, pid %d, %s..%s)",
		o.A.Env, o.A.Op, o.A.JobID, o.A.PID, o.A.Start.Format(time.StampMicro), o.A.End.Format(time.StampMicro),
		o.B.Op, o.B.JobID, o.B.PID, o.B.Start.Format(time.StampMicro), o.B.End.Format(time.StampMicro))
}

// FindOverlaps returns every pair of mutating intervals on one environment that intersect. An
// unfinished interval is treated as lasting until closeOpen(iv) (for example the time its
// process was killed); when closeOpen is nil it lasts forever.
func FindOverlaps(ivs []Interval, closeOpen func(Interval) time.Time) []Overlap {
	byEnv := map[string][]Interval{}
	for _, iv := range ivs {
		if !iv.Op.Mutates() {
			continue
		}
		if iv.End.IsZero() {
			if closeOpen != nil {
				iv.End = closeOpen(iv)
			} else {
				iv.End = time.Unix(1<<40, 0)
			}
		}
		byEnv[iv.Env] = append(byEnv[iv.Env], iv)
	}
	var out []Overlap
	envs := make([]string, 0, len(byEnv))
	for e := range byEnv {
		envs = append(envs, e)
	}
	sort.Strings(envs)
	for _, e := range envs {
		l := byEnv[e]
		sort.Slice(l, func(i, j int) bool { return l[i].Start.Before(l[j].Start) })
		// Quadratic on purpose: logs are small and every pair is reported.
		for i := 1; i < len(l); i++ {
			for j := 0; j < i; j++ {
				if l[i].Start.Before(l[j].End) {
					out = append(out, Overlap{A: l[j], B: l[i]})
				}
			}
		}
	}
	return out
}

// logRecord is one line of the file-backed operation log: a start or an end.
type logRecord struct {
	Phase string   `json:"phase"` // "start" or "end"
	Iv    Interval `json:"iv"`
}

const opsLogName = "ops.jsonl"

// ReadIntervals reads the operation log a file-backed Fake (WithDir) wrote in dir, across all
// processes that shared it. It returns an error when the log cannot be read or parsed; a
// missing log is an empty result.
func ReadIntervals(dir string) ([]Interval, error) {
	f, err := os.Open(filepath.Join(dir, opsLogName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("providertest: open ops log: %w", err)
	}
	defer f.Close()
	byID := map[string]*Interval{}
	var order []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var r logRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			// A process killed mid-write can leave a torn last line; anything else is corrupt.
			if !sc.Scan() {
				break
			}
			return nil, fmt.Errorf("providertest: ops log line %d: %w", line, err)
		}
		switch r.Phase {
		case "start":
			iv := r.Iv
			byID[iv.ID] = &iv
			order = append(order, iv.ID)
		case "end":
			if iv, ok := byID[r.Iv.ID]; ok {
				iv.End, iv.Err = r.Iv.End, r.Iv.Err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("providertest: read ops log: %w", err)
	}
	out := make([]Interval, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}

// appendLog appends one record to the shared log with a single write (O_APPEND keeps lines
// from different processes whole).
func appendLog(dir string, r logRecord) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.OpenFile(filepath.Join(dir, opsLogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	return errors.Join(werr, cerr)
}

func newOpID(seq uint64) string {
	return strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(seq, 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}
