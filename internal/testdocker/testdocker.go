// Package testdocker holds Docker engine checks shared by tests of the Docker provider and of
// the action end to end.
package testdocker

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/sindri/deploy/v3/pkg/providers"
)

// Leftovers lists the containers, volumes and networks on the engine that still carry env's
// sindri.dev/env label, as "container <names>", "volume <name>", "network <name>".
func Leftovers(t testing.TB, cli *client.Client, env string) []string {
	t.Helper()
	ctx := context.Background()
	f := make(client.Filters).Add("label", providers.LabelEnv+"="+env)
	var out []string
	cs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.Items {
		out = append(out, "container "+c.ID[:12]+" "+strings.Join(c.Names, ","))
	}
	vs, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		out = append(out, "volume "+v.Name)
	}
	ns, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns.Items {
		out = append(out, "network "+n.Name)
	}
	return out
}
