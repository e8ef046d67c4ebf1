// Command executor pulls deployment jobs from NATS JetStream and runs them with the enabled
// providers. See docs/executor.md.
package main

func main() {}
