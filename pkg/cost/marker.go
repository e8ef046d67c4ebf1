package cost

import (
	"strconv"
	"strings"
	"time"
)

// MarkerValue encodes u for the sticky comment's hidden marker, in which a value may hold no
// space, "=", "<", ">" or "!": running seconds, stopped seconds, phase (r, s or -), since (Unix
// seconds), hourly and stopped hourly rate ("-" when unknown), comma-separated.
func (u Usage) MarkerValue() string {
	phase := "-"
	switch u.Phase {
	case PhaseRunning:
		phase = "r"
	case PhaseStopped:
		phase = "s"
	}
	since := int64(0)
	if !u.Since.IsZero() {
		since = u.Since.Unix()
	}
	return strings.Join([]string{strconv.FormatInt(u.RunningSeconds, 10), strconv.FormatInt(u.StoppedSeconds, 10), phase,
		strconv.FormatInt(since, 10), rate(u.Hourly), rate(u.StoppedHourly)}, ",")
}

func rate(f *float64) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// ParseMarkerValue reads what MarkerValue wrote; ok is false for anything else. The rates are
// in USD, the price tables' currency.
func ParseMarkerValue(s string) (u Usage, ok bool) {
	f := strings.Split(s, ",")
	if len(f) != 6 {
		return Usage{}, false
	}
	var err error
	if u.RunningSeconds, err = strconv.ParseInt(f[0], 10, 64); err != nil || u.RunningSeconds < 0 {
		return Usage{}, false
	}
	if u.StoppedSeconds, err = strconv.ParseInt(f[1], 10, 64); err != nil || u.StoppedSeconds < 0 {
		return Usage{}, false
	}
	switch f[2] {
	case "r":
		u.Phase = PhaseRunning
	case "s":
		u.Phase = PhaseStopped
	case "-":
	default:
		return Usage{}, false
	}
	since, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil || since < 0 {
		return Usage{}, false
	}
	if since > 0 {
		u.Since = time.Unix(since, 0).UTC()
	}
	for i, dst := range []**float64{&u.Hourly, &u.StoppedHourly} {
		if f[4+i] == "-" {
			continue
		}
		v, err := strconv.ParseFloat(f[4+i], 64)
		if err != nil || v < 0 {
			return Usage{}, false
		}
		*dst = &v
	}
	u.Currency = "USD"
	return u, true
}
