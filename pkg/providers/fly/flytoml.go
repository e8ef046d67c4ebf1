package fly

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// renderFlyToml renders the fly.toml equivalent of the machine Deploy makes, for inspection:
// sindri deploys through the Machines API and never runs flyctl with it. Secret values are
// never in it; their names are, in a comment.
func renderFlyToml(d *desired, region string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# Rendered by sindri-deploy for inspection; it deploys through the Fly Machines API.")
	w("app = %s", tomlString(d.App))
	w("primary_region = %s", tomlString(region))
	if d.SwapMB > 0 {
		w("swap_size_mb = %d", d.SwapMB)
	}
	w("")
	w("[build]")
	w("  image = %s", tomlString(d.Image))
	w("")
	w("[env]")
	keys := make([]string, 0, len(d.Environment))
	for k := range d.Environment {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w("  %s = %s", k, tomlString(d.Environment[k]))
	}
	if len(d.SecretNames) > 0 {
		w("")
		w("# App secrets (set through the API, values never rendered): %s", strings.Join(d.SecretNames, ", "))
	}
	w("")
	w("[[mounts]]")
	w("  source = %s", tomlString(homeVolume))
	w("  destination = %s", tomlString(homePath))
	w("  initial_size = %s", tomlString(strconv.Itoa(d.VolumeSizeGB)+"gb"))
	w("  snapshot_retention = %d", snapshotRetention)
	w("")
	w("[[services]]")
	w("  protocol = \"tcp\"")
	w("  internal_port = %d", sshdPort)
	w("  auto_stop_machines = %s", tomlString(string(d.Autostop)))
	w("  auto_start_machines = %t", d.Autostart)
	w("  min_machines_running = 0")
	w("  [[services.ports]]")
	w("    port = %d", d.SSHPort)
	w("  [[services.tcp_checks]]")
	w("    interval = \"30s\"")
	w("    timeout = \"10s\"")
	w("    grace_period = \"120s\"")
	w("")
	w("[[vm]]")
	w("  cpu_kind = %s", tomlString(d.Guest.CPUKind))
	w("  cpus = %d", d.Guest.CPUs)
	w("  memory = %s", tomlString(strconv.Itoa(d.Guest.MemoryMB)+"mb"))
	for _, f := range d.Files {
		w("")
		w("[[files]]")
		w("  guest_path = %s", tomlString(f.GuestPath))
		w("  secret_name = %s", tomlString(f.SecretName))
	}
	w("")
	w("[checks.ssh]")
	w("  type = \"tcp\"")
	w("  port = %d", sshdPort)
	w("  interval = \"30s\"")
	w("  timeout = \"10s\"")
	w("  grace_period = \"120s\"")
	return b.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
