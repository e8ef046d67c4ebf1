package flytest

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/sindri/deploy/v3/internal/apifake"
)

var volumeNameRE = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

func (f *Fake) volumeJSON(v *fVolume) volumeJSON {
	out := volumeJSON{ID: v.id, Name: v.name, State: v.state, Region: v.region, Zone: "a1b2", SizeGB: v.sizeGB, Encrypted: true,
		CreatedAt: v.created.UTC().Format(time.RFC3339), SnapshotRetention: v.retention}
	if v.attached != "" {
		id := v.attached
		out.AttachedMachineID = &id
	}
	return out
}

// listVolumes lists every volume, soft-deleted ones included (fly.md §4).
func (f *Fake) listVolumes(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		out := []volumeJSON{}
		for _, id := range slices.Sorted(maps.Keys(a.volumes)) {
			out = append(out, f.volumeJSON(a.volumes[id]))
		}
		apifake.WriteJSON(w, http.StatusOK, out)
	})
}

func (f *Fake) createVolume(w http.ResponseWriter, r *http.Request) {
	var b createVolumeBody
	if !f.decodeBody(w, r, &b) {
		return
	}
	f.withApp(w, r, func(a *fApp) {
		if b.SizeGB == 0 {
			b.SizeGB = 3
		}
		switch {
		case !volumeNameRE.MatchString(b.Name):
			fail(w, http.StatusBadRequest, "volume name must be lowercase letters, digits and underscores, at most 30", "")
			return
		case !slices.Contains(Regions, b.Region):
			fail(w, http.StatusUnprocessableEntity, "invalid region "+b.Region, "")
			return
		case b.SizeGB < 1 || b.SizeGB > 500:
			fail(w, http.StatusBadRequest, "size_gb must be 1 to 500", "")
			return
		}
		n := f.nextSerial()
		v := &fVolume{id: fmt.Sprintf("vol_%016d", n), name: b.Name, region: b.Region, state: volumeCreated, sizeGB: b.SizeGB,
			created: time.Now(), retention: b.SnapshotRetention}
		a.volumes[v.id] = v
		apifake.WriteJSON(w, http.StatusOK, f.volumeJSON(v))
	})
}

// deleteVolume soft-deletes: 412 while the volume is bound to a machine (even a destroyed one,
// for BindGrace), else pending_destroy, still listed.
func (f *Fake) deleteVolume(w http.ResponseWriter, r *http.Request) {
	f.withApp(w, r, func(a *fApp) {
		v := a.volumes[r.PathValue("id")]
		switch {
		case v == nil || v.state == volumePendingDestroy:
			fail(w, http.StatusNotFound, "volume not found", "")
			return
		case v.attached != "":
			fail(w, http.StatusPreconditionFailed, "failed_precondition: volume is currently bound to machine: "+v.attached, "")
			return
		}
		v.state = volumePendingDestroy
		apifake.WriteJSON(w, http.StatusOK, f.volumeJSON(v))
	})
}
