package events_test

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/sindri/deploy/v3/pkg/events"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// Example shows the zero-infrastructure path end to end: an embedded server, Setup, a job
// queued once, and a follower that replays the job's events until the terminal one.
func Example() {
	ctx := context.Background()
	srv, err := events.StartEmbedded(ctx, events.EmbeddedOptions{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	nc, err := srv.Connect()
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if err := events.Setup(ctx, js, events.SetupOptions{}); err != nil {
		panic(err)
	}

	// The action: bump the generation, build and publish the job (twice, as a retried step would).
	envs, _ := events.OpenEnvStore(ctx, js)
	gen, _ := envs.BumpDesired(ctx, "myapp-pr-42", false)
	job, _ := jobs.New(jobs.KindDeploy, "myapp-pr-42", "docker")
	job.Generation, job.Repo, job.PR = gen, "acme/myapp", 42
	job.Config = jobs.ConfigBlob{Path: "sindri.yaml", Text: "name: myapp\n"}
	pub := events.NewPublisher(js)
	key := job.IdempotencyKey(jobs.RunDelivery("1001", "1"))
	for range 2 {
		dup, err := pub.PublishJob(ctx, job, key)
		fmt.Println("duplicate:", dup, err)
	}

	// The executor: numbered events for the job.
	em, _ := events.NewEmitter(pub, job.ID, "urn:sindri:executor:example", 0)
	_, _ = em.Emit(ctx, &events.Accepted{Worker: "example", Attempt: 1, Kind: job.Kind, Env: job.Env, Provider: job.Provider, Generation: gen})
	_, _ = em.Emit(ctx, &events.Log{Level: events.LevelInfo, Message: "creating container"})
	_, _ = em.Emit(ctx, &events.Succeeded{Kind: job.Kind, Env: job.Env, Provider: job.Provider, Generation: gen, URL: "http://127.0.0.1:8080"})

	// The action again: follow from the first event to the terminal one.
	for ev, err := range events.Follow(ctx, js, job.ID) {
		if err != nil {
			panic(err)
		}
		switch d := ev.Data.(type) {
		case *events.Log:
			fmt.Println(ev.Seq, "log:", d.Message)
		case *events.Succeeded:
			fmt.Println(ev.Seq, "succeeded:", d.URL)
		default:
			fmt.Println(ev.Seq, ev.Type)
		}
	}
	// Output:
	// duplicate: false <nil>
	// duplicate: true <nil>
	// 1 dev.sindri.job.accepted.v1
	// 2 log: creating container
	// 3 succeeded: http://127.0.0.1:8080
}
