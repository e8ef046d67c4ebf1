package fly

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// observed is what the platform holds for one environment.
type observed struct {
	// app is nil when the app does not exist.
	app *app
	// machines are the app's machines that carry the env's metadata, oldest first.
	machines []machine
	// volumes are the app's live (not soft-deleted) home volumes.
	volumes []volume
	ips     []ipAssignment
}

// errCollision is the error for an app name held by someone else.
func errCollision(appName, why string, cause error) error {
	return fmt.Errorf("fly: app name %s is taken (%s): %w; Fly app names are global: set the executor's fly app_prefix setting (SINDRI_FLY_APP_PREFIX) or rename the environment (its template) so the derived name changes: %w",
		appName, why, providers.ErrConflict, cause)
}

// observeApp reads the app: nil when it does not exist. An app another org holds (403), one
// in another org than expected, or one holding machines that are not the env's is an error
// wrapping providers.ErrConflict. machines are all the app's machines.
func observeApp(ctx context.Context, a *api, t target, env string) (*app, []machine, error) {
	got, err := a.getApp(ctx, t.app)
	switch {
	case apiStatus(err) == http.StatusNotFound:
		return nil, nil, nil
	case apiStatus(err) == http.StatusForbidden && !errors.Is(err, providers.ErrQuota):
		return nil, nil, errCollision(t.app, "another Fly organization holds it", err)
	case err != nil:
		return nil, nil, err
	}
	if t.org != "" && t.org != DefaultOrg && got.Organization.Slug != "" && got.Organization.Slug != t.org {
		return nil, nil, errCollision(t.app, fmt.Sprintf("it belongs to organization %s, not %s", got.Organization.Slug, t.org), providers.ErrConflict)
	}
	all, err := a.listMachines(ctx, t.app, "", "")
	if err != nil {
		return nil, nil, err
	}
	for _, m := range all {
		if !ours(m, env) {
			return nil, nil, errCollision(t.app, "it runs machine "+m.ID+", which sindri did not make for "+env, providers.ErrConflict)
		}
	}
	return got, all, nil
}

// observe reads everything the environment has in app t.
func observe(ctx context.Context, a *api, t target, env string) (*observed, error) {
	ap, all, err := observeApp(ctx, a, t, env)
	if err != nil || ap == nil {
		return &observed{}, err
	}
	o := &observed{app: ap}
	for _, m := range all {
		if m.State != "destroyed" && m.State != "destroying" {
			o.machines = append(o.machines, m)
		}
	}
	slices.SortStableFunc(o.machines, func(x, y machine) int { return strings.Compare(x.CreatedAt, y.CreatedAt) })
	vols, err := a.listVolumes(ctx, t.app)
	if err != nil {
		return nil, err
	}
	o.volumes = liveHomeVolumes(vols)
	if o.ips, err = a.listIPs(ctx, t.app); err != nil {
		return nil, err
	}
	return o, nil
}

func liveHomeVolumes(vols []volume) []volume {
	var out []volume
	for _, v := range vols {
		if v.Name == homeVolume && !softDeleted[v.State] {
			out = append(out, v)
		}
	}
	return out
}

// machineStep is what Deploy does with the env's machine.
type machineStep int

const (
	machineKeep     machineStep = iota // up to date and started
	machineStart                       // up to date, not started
	machineUpdate                      // config changed: new version in place
	machineRecreate                    // the mount must change: destroy and create
	machineCreate                      // none yet
)

var machineStepNames = [...]string{"keep", "start", "update", "recreate", "create"}

// String names the step.
func (s machineStep) String() string { return machineStepNames[s] }

// decision is what Deploy does, and what Plan says it would do: both get it from decide.
type decision struct {
	obs       *observed
	createApp bool
	// vol is the home volume kept; nil when one is created.
	vol *volume
	// mach is the machine kept, updated or replaced; nil when one is created.
	mach *machine
	// extra are further machines of the env (a lost create answered twice before this
	// provider listed first): they are destroyed.
	extra      []machine
	step       machineStep
	why        string
	setSecrets bool
	allocV6    bool
	region     string
	warnings   []string
}

// changes reports whether the decision changes anything.
func (dc *decision) changes() bool {
	return dc.createApp || dc.vol == nil || dc.step != machineKeep || dc.setSecrets || dc.allocV6 || len(dc.extra) > 0
}

// decide observes the platform and compares it with d. Errors: providers.ErrConflict for a
// foreign app, API errors.
func decide(ctx context.Context, a *api, s *providers.Spec, d *desired) (*decision, error) {
	o, err := observe(ctx, a, target{app: d.App, org: d.Org}, d.Env)
	if err != nil {
		return nil, err
	}
	dc := &decision{obs: o, createApp: o.app == nil, region: d.Region, allocV6: !hasPublicV6(o.ips)}
	if len(o.machines) > 0 {
		m := o.machines[0]
		dc.mach, dc.extra = &m, o.machines[1:]
	}
	dc.vol = pickVolume(o.volumes, dc.mach, d.Region)
	if dc.vol != nil {
		if dc.vol.Region != d.Region {
			dc.region = dc.vol.Region
			dc.warnings = append(dc.warnings, fmt.Sprintf("providers.fly.region is %s but the home volume is in %s: the machine stays with its volume there; destroy the environment to move it", d.Region, dc.vol.Region))
		}
		if dc.vol.SizeGB < d.VolumeSizeGB {
			dc.warnings = append(dc.warnings, fmt.Sprintf("the home volume has %d GB, the config asks for %d GB: volumes are not extended by Deploy", dc.vol.SizeGB, d.VolumeSizeGB))
		}
	}
	dc.step, dc.why = machineDecision(s, d, dc)
	stored := ""
	if dc.mach != nil {
		stored = dc.mach.Config.Metadata[metaSecrets]
	}
	dc.setSecrets = d.secretsHash() != stored || (dc.step >= machineRecreate && len(d.secrets) > 0)
	return dc, nil
}

// pickVolume returns the home volume to keep: the one the machine mounts, else an unattached
// one in the region, else any unattached one; nil when a new one is needed.
func pickVolume(vols []volume, m *machine, region string) *volume {
	if m != nil && len(m.Config.Mounts) > 0 {
		for _, v := range vols {
			if v.ID == m.Config.Mounts[0].Volume {
				return &v
			}
		}
	}
	for _, pass := range []bool{true, false} {
		for _, v := range vols {
			if v.AttachedMachineID == "" && (!pass || v.Region == region) {
				return &v
			}
		}
	}
	return nil
}

func machineDecision(s *providers.Spec, d *desired, dc *decision) (machineStep, string) {
	m := dc.mach
	switch {
	case m == nil:
		return machineCreate, "no machine yet"
	case dc.vol == nil || len(m.Config.Mounts) == 0 || m.Config.Mounts[0].Volume != dc.vol.ID:
		return machineRecreate, "its volume mount must change, which Fly cannot do in place"
	case s.Options.Force:
		return machineUpdate, "a forced deploy makes a new version"
	case m.Config.Metadata[metaConfigHash] != d.hash():
		return machineUpdate, "the configuration changed"
	case m.Config.Metadata[metaSecrets] != d.secretsHash():
		return machineUpdate, "secrets changed"
	case m.State != "started":
		return machineStart, "it is " + m.State
	}
	return machineKeep, "up to date and started"
}

// hasPublicV6 reports whether the app has a public IPv6 address (fdaa: is private Flycast).
func hasPublicV6(ips []ipAssignment) bool {
	return slices.ContainsFunc(ips, func(ip ipAssignment) bool {
		return strings.Contains(ip.IP, ":") && !strings.HasPrefix(ip.IP, "fdaa:")
	})
}
