nats {
  url = "nats://x:4222"
  tls {
    cert = "c.pem"
  }
}
reaper {
  default_ttl = "-1h"
}
