// Package gce is the small Compute Engine REST v1 client the vm provider runs environments
// on GCP with: instances (insert, get, list by label filter, stop, start, delete,
// setLabels, setMetadata), images (list by label filter, get, delete) and the zonal and
// global Operations they return, polled until DONE. It authenticates with an OAuth2 access
// token for a service-account key (the JSON file of GOOGLE_APPLICATION_CREDENTIALS): a JWT
// signed RS256 with the key is exchanged at the key's token_uri, with the standard library
// only. It sends through the project's REST kit (pkg/providers/internal/rest): retries,
// redaction, recording.
package gce
