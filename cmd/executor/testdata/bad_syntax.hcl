concurrency = 4
nats {
  url = "nats://x:4222"
