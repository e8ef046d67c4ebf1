package flytest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

// set moves m to state, checking the table; callers hold f.mu.
func (f *Fake) set(m *fMachine, to string, now time.Time) {
	if !allowed(m.state, to) {
		f.API.Violationf("fake bug: machine %s: %s -> %s is not in the transition table", m.id, m.state, to)
	}
	m.state, m.updated, m.next = to, now, ""
	switch to {
	case stateStarting:
		m.schedule(stateStarted, now.Add(f.opts.StartDelay))
	case stateStopping:
		m.schedule(stateStopped, now.Add(f.opts.StopDelay))
	case stateSuspending:
		m.schedule(stateSuspended, now.Add(f.opts.StopDelay))
	case stateDestroying:
		m.schedule(stateDestroyed, now.Add(f.opts.DestroyDelay))
	case stateReplacing:
		m.schedule(stateStarting, now)
	case stateStarted:
		m.event("start", stateStarted, "flyd", now, nil)
		if f.opts.Crash != nil && f.opts.Crash(m.config.Image) {
			m.schedule("exit", now)
		}
	case stateDestroyed:
		m.destroyed = now
	}
}

func (m *fMachine) schedule(state string, at time.Time) { m.next, m.at = state, at }

func (m *fMachine) event(typ, status, source string, now time.Time, x *exitEvent) {
	ev := event{Type: typ, Status: status, Source: source, Timestamp: now.UnixMilli()}
	if x != nil {
		ev.Request = &eventBody{ExitEvent: x}
	}
	m.events = append([]event{ev}, m.events...)
	if len(m.events) > 20 {
		m.events = m.events[:20]
	}
}

// advance applies m's scheduled transitions due by now; callers hold f.mu.
func (f *Fake) advance(a *fApp, m *fMachine, now time.Time) {
	for m.next != "" && !m.at.After(now) {
		next := m.next
		if next == "exit" { // the guest exited on its own
			retry := m.config.Restart != nil && m.config.Restart.Policy != "no" && m.restarts < max(m.config.Restart.MaxRetries, 0)
			m.event("exit", stateStopped, "flyd", now, &exitEvent{ExitCode: 1, Restarting: retry, Error: "main process exited with code 1"})
			if retry {
				m.restarts++
				f.set(m, stateStarting, now)
			} else {
				f.set(m, stateStopped, now)
			}
			continue
		}
		f.set(m, next, now)
		if next == stateStarted {
			a.status = appDeployed
		}
		if next == stateDestroyed {
			for _, v := range a.volumes {
				if v.attached == m.id {
					v.boundUntil = now.Add(f.opts.BindGrace)
				}
			}
		}
	}
}

// advanceApp advances every machine of a and forgets machines destroyed longer than the grace
// period; callers hold f.mu.
func (f *Fake) advanceApp(a *fApp, now time.Time) {
	for id, m := range a.machines {
		f.advance(a, m, now)
		if m.state == stateDestroyed && now.Sub(m.destroyed) >= f.opts.DestroyedGrace {
			delete(a.machines, id)
		}
	}
	for _, v := range a.volumes {
		if v.attached != "" && a.machines[v.attached] == nil && !now.Before(v.boundUntil) {
			v.attached = ""
		}
	}
}

func (f *Fake) machineJSON(m *fMachine) machineJSON {
	return machineJSON{ID: m.id, Name: m.name, State: m.state, Region: m.region, InstanceID: m.instance, PrivateIP: m.privateIP,
		CreatedAt: m.created.UTC().Format(time.RFC3339), UpdatedAt: m.updated.UTC().Format(time.RFC3339),
		Config: m.config, Events: slices.Clone(m.events), HostStatus: "ok"}
}

func (f *Fake) listMachines(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		q := r.URL.Query()
		out := []machineJSON{}
		for _, id := range slices.Sorted(maps.Keys(a.machines)) {
			m := a.machines[id]
			if m.state == stateDestroyed && q.Get("include_deleted") != "true" {
				continue
			}
			if reg := q.Get("region"); reg != "" && m.region != reg {
				continue
			}
			if st := q.Get("state"); st != "" && !slices.Contains(strings.Split(st, ","), m.state) {
				continue
			}
			match := true
			for k, vs := range q {
				if key, ok := strings.CutPrefix(k, "metadata."); ok && m.config.Metadata[key] != vs[0] {
					match = false
				}
			}
			if match {
				out = append(out, f.machineJSON(m))
			}
		}
		apifake.WriteJSON(w, http.StatusOK, out)
	})
}

// machineFor resolves {app} and {id}; on success f.mu is held and the caller must unlock.
// A machine forgotten after destroy is 404 machine not found.
func (f *Fake) machineFor(w http.ResponseWriter, r *http.Request) (*fApp, *fMachine) {
	a := f.appFor(w, r)
	if a == nil {
		return nil, nil
	}
	m := a.machines[r.PathValue("id")]
	if m == nil {
		f.mu.Unlock()
		fail(w, http.StatusNotFound, "machine not found", "not_found")
		return nil, nil
	}
	return a, m
}

func (f *Fake) getMachine(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, false, func(a *fApp, m *fMachine) {
		apifake.WriteJSON(w, http.StatusOK, f.machineJSON(m))
	})
}

// checkConfig refuses what Fly refuses in a machine config (fly.md §3.2, §6). Callers hold f.mu.
func (f *Fake) checkConfig(a *fApp, c *machineConfig, region, machineID string) (int, string) {
	if c.Image == "" {
		return http.StatusBadRequest, "config.image is required"
	}
	g := c.Guest
	if g == nil {
		g = &guest{CPUKind: "shared", CPUs: 1, MemoryMB: 256}
	}
	if g.GPUKind != "" || g.GPUs > 0 {
		return http.StatusUnprocessableEntity, "GPU machines are no longer supported"
	}
	bounds := map[string][2]int{"shared": {256, 2048}, "performance": {2048, 8192}}[g.CPUKind]
	if bounds == [2]int{} || g.CPUs < 1 || g.MemoryMB%256 != 0 || g.MemoryMB < bounds[0]*g.CPUs || g.MemoryMB > bounds[1]*g.CPUs {
		return http.StatusBadRequest, fmt.Sprintf("invalid guest: %d %s cpus with %d MB", g.CPUs, g.CPUKind, g.MemoryMB)
	}
	if len(c.Mounts) > 1 {
		return http.StatusBadRequest, "a machine can mount at most one volume"
	}
	for _, mt := range c.Mounts {
		v := a.volumes[mt.Volume]
		switch {
		case v == nil || v.state == volumePendingDestroy:
			return http.StatusBadRequest, "volume " + mt.Volume + " not found"
		case v.region != region:
			return http.StatusBadRequest, fmt.Sprintf("volume %s is in %s, the machine in %s", v.id, v.region, region)
		case v.attached != "" && v.attached != machineID:
			return http.StatusPreconditionFailed, "failed_precondition: volume is currently bound to machine: " + v.attached
		case mt.Path == "" || mt.Path == "/" || !strings.HasPrefix(mt.Path, "/"):
			return http.StatusBadRequest, "invalid mount path " + mt.Path
		}
	}
	if f.opts.MemoryQuotaMB > 0 {
		used := 0
		for _, other := range f.apps {
			if other.org != a.org || !other.deletedAt.IsZero() {
				continue
			}
			for _, m := range other.machines {
				if m.region == region && m.id != machineID && m.state != stateDestroyed && m.config.Guest != nil {
					used += m.config.Guest.MemoryMB
				}
			}
		}
		if used+g.MemoryMB > f.opts.MemoryQuotaMB {
			return http.StatusForbidden, fmt.Sprintf("Organization %s is using %d MB of memory in %s which is over the allowed quota of %d MB", a.org, used+g.MemoryMB, region, f.opts.MemoryQuotaMB)
		}
	}
	return 0, ""
}

func (f *Fake) createMachine(w http.ResponseWriter, r *http.Request) {
	var b createMachineBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	f.withApp(w, r, func(a *fApp) {
		if b.Region == "" {
			b.Region = "sjc"
		}
		if !slices.Contains(Regions, b.Region) {
			fail(w, http.StatusUnprocessableEntity, "invalid region "+b.Region, "")
			return
		}
		if b.MinSecretsVersion != nil && *b.MinSecretsVersion > a.secretsVersion {
			fail(w, http.StatusPreconditionFailed, "secrets version "+strconv.FormatUint(a.secretsVersion, 10)+" is older than min_secrets_version", "")
			return
		}
		n := f.nextSerial()
		id := fmt.Sprintf("%014x", 0xe0a1f0000000+n)
		if st, msg := f.checkConfig(a, &b.Config, b.Region, id); st != 0 {
			fail(w, st, msg, "")
			return
		}
		now := time.Now()
		name := b.Name
		if name == "" {
			name = "machine-" + itoa(n)
		}
		m := &fMachine{id: id, name: name, region: b.Region, state: stateCreated, instance: fmt.Sprintf("01JF%022d", n),
			privateIP: fmt.Sprintf("fdaa:0:1:a7b:1::%x", n), config: b.Config, created: now, updated: now}
		m.event("launch", stateCreated, "user", now, nil)
		a.machines[id] = m
		for _, mt := range b.Config.Mounts {
			a.volumes[mt.Volume].attached = id
		}
		if !b.SkipLaunch {
			f.set(m, stateStarting, now)
		}
		apifake.WriteJSON(w, http.StatusOK, f.machineJSON(m))
	})
}

func (f *Fake) updateMachine(w http.ResponseWriter, r *http.Request) {
	var b updateMachineBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	f.withMachine(w, r, true, func(a *fApp, m *fMachine) {
		switch {
		case m.state == stateDestroyed || m.state == stateDestroying:
			fail(w, http.StatusNotFound, "machine not found", "not_found")
			return
		case transientStates[m.state]:
			fail(w, http.StatusPreconditionFailed, "unable to update machine from current state: '"+m.state+"'", "")
			return
		case b.CurrentVersion != "" && b.CurrentVersion != m.instance:
			fail(w, http.StatusConflict, "current_version does not match", "")
			return
		case b.MinSecretsVersion != nil && *b.MinSecretsVersion > a.secretsVersion:
			fail(w, http.StatusPreconditionFailed, "secrets version is older than min_secrets_version", "")
			return
		case (b.Region != "" && b.Region != m.region) || (b.Name != "" && b.Name != m.name):
			fail(w, http.StatusBadRequest, "region and name cannot be changed", "")
			return
		}
		if volumeOf(b.Config) != volumeOf(m.config) {
			fail(w, http.StatusBadRequest, "the volume of a mount cannot be changed; create a new machine", "")
			return
		}
		if st, msg := f.checkConfig(a, &b.Config, m.region, m.id); st != 0 {
			fail(w, st, msg, "")
			return
		}
		now := time.Now()
		wasRunning := m.state == stateStarted
		m.config = b.Config
		m.instance = fmt.Sprintf("01JF%022d", f.nextSerial())
		m.restarts = 0
		m.event("update", "replacing", "user", now, nil)
		if wasRunning && !b.SkipLaunch {
			f.set(m, stateReplacing, now)
		}
		apifake.WriteJSON(w, http.StatusOK, f.machineJSON(m))
	})
}

func volumeOf(c machineConfig) string {
	if len(c.Mounts) == 0 {
		return ""
	}
	return c.Mounts[0].Volume
}

// leaseOK checks a leased machine's nonce header: 409 without it. Callers hold f.mu.
func (f *Fake) leaseOK(w http.ResponseWriter, r *http.Request, m *fMachine) bool {
	if m.leaseNonce == "" || r.Header.Get("fly-machine-lease-nonce") == m.leaseNonce {
		return true
	}
	fail(w, http.StatusConflict, "machine ID "+m.id+" lease currently held by someone else", "")
	return false
}

func (f *Fake) destroyMachine(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, true, func(a *fApp, m *fMachine) {
		q := r.URL.Query()
		force := q.Get("force") == "true" || q.Get("kill") == "true"
		switch {
		case m.state == stateDestroyed || m.state == stateDestroying:
			fail(w, http.StatusNotFound, "machine not found", "not_found")
			return
		case !force && m.state != stateStopped && m.state != stateSuspended && m.state != stateCreated && m.state != stateFailed:
			fail(w, http.StatusConflict, "unable to destroy machine, not currently stopped", "")
			return
		}
		now := time.Now()
		m.event("destroy", stateDestroying, "user", now, nil)
		f.set(m, stateDestroying, now)
		f.advance(a, m, now)
		apifake.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

func (f *Fake) start(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, true, func(a *fApp, m *fMachine) {
		prev := m.state
		switch m.state {
		case stateStarted:
		case stateStopped, stateSuspended, stateCreated, stateFailed, stateSuspending:
			m.restarts = 0
			m.event("start", stateStarting, "user", time.Now(), nil)
			f.set(m, stateStarting, time.Now())
		case stateDestroyed:
			fail(w, http.StatusNotFound, "machine not found", "not_found")
			return
		default:
			fail(w, http.StatusPreconditionFailed, "unable to start machine from current state: '"+m.state+"'", "")
			return
		}
		apifake.WriteJSON(w, http.StatusOK, map[string]any{"previous_state": prev, "migrated": false, "new_host": ""})
	})
}

func (f *Fake) stop(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > 0 {
		var b struct {
			ID      string   `json:"id,omitempty"`
			Signal  string   `json:"signal,omitempty"`
			Timeout duration `json:"timeout,omitempty"`
		}
		if !f.decodeBody(w, r, &b) {
			return
		}
	}
	f.withMachine(w, r, true, func(a *fApp, m *fMachine) {
		now := time.Now()
		switch m.state {
		case stateStarted:
			m.event("exit", stateStopped, "user", now, &exitEvent{RequestedStop: true})
			f.set(m, stateStopping, now)
		case stateSuspended: // stopping a suspended machine discards its snapshot
			f.set(m, stateStopped, now)
		case stateStopped, stateCreated:
			if f.opts.StopConflict {
				fail(w, http.StatusConflict, "unable to stop machine, not currently started", "")
				return
			}
		case stateDestroyed:
			fail(w, http.StatusNotFound, "machine not found", "not_found")
			return
		default:
			fail(w, http.StatusPreconditionFailed, "unable to stop machine from current state: '"+m.state+"'", "")
			return
		}
		apifake.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// suspend suspends a started machine that Fly can suspend: no swap, at most 2 GB, no schedule
// (fly.md §3.7; the exact refusal is UNVERIFIED, the fake answers 412).
func (f *Fake) suspend(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, true, func(a *fApp, m *fMachine) {
		c := m.config
		switch {
		case m.state == stateSuspended:
		case m.state != stateStarted:
			fail(w, http.StatusPreconditionFailed, "unable to suspend machine from current state: '"+m.state+"'", "")
			return
		case (c.Init != nil && c.Init.SwapSizeMB > 0) || (c.Guest != nil && c.Guest.MemoryMB > 2048) || c.Schedule != "":
			fail(w, http.StatusPreconditionFailed, "machine cannot be suspended: it has swap, more than 2GB of memory or a schedule", "")
			return
		default:
			m.event("suspend", stateSuspending, "user", time.Now(), nil)
			f.set(m, stateSuspending, time.Now())
		}
		apifake.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// wait blocks until the machine is in one of the states asked for (repeated or
// comma-separated; "settled" is any non-transient state) or the timeout (integer seconds,
// 1-60) passes: 408.
func (f *Fake) wait(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var want []string
	for _, s := range q["state"] {
		want = append(want, strings.Split(s, ",")...)
	}
	if len(want) == 0 {
		want = []string{stateStarted}
	}
	secs := 60
	if t := q.Get("timeout"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			f.API.Violationf("wait: timeout %q is not a positive integer of seconds", t)
			fail(w, http.StatusBadRequest, "invalid timeout", "")
			return
		}
		secs = min(n, 60)
	}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	first := true
	for {
		a, m := f.machineFor(w, r)
		if m == nil {
			return
		}
		if first && f.opts.WaitNotFoundOnce && !m.waited {
			m.waited = true
			f.mu.Unlock()
			fail(w, http.StatusNotFound, "machine not found", "not_found")
			return
		}
		first = false
		f.advance(a, m, time.Now())
		state, version := m.state, m.instance
		f.mu.Unlock()
		for _, s := range want {
			if s == state || (s == "settled" && !transientStates[state]) {
				apifake.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "state": state, "version": version})
				return
			}
		}
		if time.Now().After(deadline) {
			fail(w, http.StatusRequestTimeout, "deadline_exceeded: timeout waiting for machine to be "+strings.Join(want, ","), "")
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (f *Fake) acquireLease(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, false, func(a *fApp, m *fMachine) {
		if m.leaseNonce != "" && r.Header.Get("fly-machine-lease-nonce") != m.leaseNonce {
			fail(w, http.StatusConflict, "machine ID "+m.id+" lease currently held by someone else", "")
			return
		}
		m.leaseNonce = fmt.Sprintf("nonce%06d", f.nextSerial())
		apifake.WriteJSON(w, http.StatusCreated, map[string]any{"status": "success", "data": map[string]any{
			"nonce": m.leaseNonce, "expires_at": time.Now().Add(time.Minute).Unix(), "owner": "sindri", "description": "", "version": m.instance}})
	})
}

func (f *Fake) releaseLease(w http.ResponseWriter, r *http.Request) {
	f.withMachine(w, r, false, func(a *fApp, m *fMachine) {
		if r.Header.Get("fly-machine-lease-nonce") == "" {
			fail(w, http.StatusBadRequest, "fly-machine-lease-nonce header is required", "")
			return
		}
		if !f.leaseOK(w, r, m) {
			return
		}
		m.leaseNonce = ""
		apifake.WriteJSON(w, http.StatusOK, map[string]any{"status": "success", "data": map[string]bool{"ok": true}})
	})
}

func (f *Fake) setMetadata(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Value string `json:"value"`
	}
	if !f.decodeBody(w, r, &b) {
		return
	}
	f.withMachine(w, r, false, func(a *fApp, m *fMachine) {
		if m.config.Metadata == nil {
			m.config.Metadata = map[string]string{}
		}
		m.config.Metadata[r.PathValue("key")] = b.Value
		w.WriteHeader(http.StatusNoContent)
	})
}
