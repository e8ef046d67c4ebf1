package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sindri/deploy/v3/pkg/events"
)

// liveHeartbeat is how often an idle live stream sends a comment, so proxies keep it open.
const liveHeartbeat = 15 * time.Second

// statusEvent is the data of a "status" or "end" server-sent event.
type statusEvent struct {
	Seq     uint64 `json:"seq"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// handleLive streams a job's log as server-sent events, straight from its events on the bus
// (already redacted by the executor that published them): "log" events carry a LogLine,
// "status" events a status change, and one "end" event the terminal status, after which the
// stream closes. Events up to ?after= (or the Last-Event-ID a reconnecting browser sends) are
// skipped, so the page continues where its server-rendered log stopped.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) {
	env, id := r.PathValue("env"), r.PathValue("job")
	j, ok := s.idx.job(id)
	if !ok || j.Env != env {
		http.Error(w, "no such job for this environment", http.StatusNotFound)
		return
	}
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		after, _ = strconv.ParseUint(v, 10, 64)
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(typ string, seq uint64, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if seq > 0 {
			if _, err := fmt.Fprintf(w, "id: %d\n", seq); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := rc.Flush(); err != nil {
		return
	}

	type item struct {
		ev  *events.Envelope
		err error
	}
	ctx := r.Context()
	items := make(chan item)
	go func() {
		defer close(items)
		for ev, err := range events.Follow(ctx, s.js, id) {
			select {
			case items <- item{ev, err}:
			case <-ctx.Done():
				return
			}
		}
	}()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case it, ok := <-items:
			if !ok {
				return
			}
			if it.err != nil {
				continue // undecodable events are skipped; a fatal error ends the sequence
			}
			ev := it.ev
			if ev.Seq <= after {
				continue
			}
			var err error
			if l, ok := lineOf(ev); ok {
				err = send("log", ev.Seq, l)
			} else if st, ok := ev.Type.Status(); ok {
				typ := "status"
				if ev.Type.Terminal() {
					typ = "end"
				}
				err = send(typ, ev.Seq, statusEvent{Seq: ev.Seq, Status: st.String(), Message: messageOf(ev)})
				if typ == "end" {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}
}

// messageOf is the human message an event carries, if any (already redacted).
func messageOf(ev *events.Envelope) string {
	switch d := ev.Data.(type) {
	case *events.Failed:
		return d.Message
	case *events.Retrying:
		return d.Message
	case *events.Superseded:
		return d.Reason
	case *events.Deadlettered:
		return d.Message
	}
	return ""
}
