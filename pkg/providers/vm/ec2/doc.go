// Package ec2 is a small client of the Amazon EC2 Query API (version 2016-11-15): the calls
// the packer provider needs to run an environment from an image it built (RunInstances,
// DescribeInstances, StopInstances, StartInstances, TerminateInstances, CreateTags) and to
// list and delete those images (DescribeImages, DeregisterImage, DeleteSnapshot).
//
// Requests are form-encoded POSTs to https://ec2.<region>.amazonaws.com/ signed with AWS
// Signature Version 4 (the signer of aws-sdk-go-v2's core module; no service client and no
// CLI), sent through the shared rest client, which retries, rate-limits and records them.
// Answers are XML; errors (<Response><Errors><Error><Code>) are mapped onto the providers
// sentinels in one place, decode.
//
// Every call is marked idempotent: the Describe calls only read, RunInstances always carries
// a ClientToken (EC2 answers a repeated token with the instance it made the first time), and
// stopping, starting, terminating, tagging and deleting again is harmless or answered with a
// NotFound code that callers take as done. A lost response is therefore retried, never
// turned into a second instance.
package ec2
