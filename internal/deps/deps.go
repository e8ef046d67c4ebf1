//go:build tools

// Package deps pins the module versions the project builds against before their
// first real importer lands, so that parallel work does not race on go.mod.
package deps

import (
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/google/go-github/v60/github"
	_ "github.com/google/uuid"
	_ "github.com/hashicorp/hcl/v2/hclsimple"
	_ "github.com/moby/moby/client"
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go/jetstream"
	_ "github.com/nats-io/nkeys"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/rs/zerolog"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/sethvargo/go-githubactions"
	_ "golang.org/x/sync/errgroup"
	_ "gopkg.in/yaml.v3"
)
