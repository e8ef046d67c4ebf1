// Package vm builds VM images with Packer for AWS, Azure, GCP, OCI and Alibaba Cloud, the
// `packer` provider of sindri.yaml's providers.packer block, and on AWS, GCP and Azure runs
// an environment as an instance of the image built from its config (Deploy builds the image
// when it is missing). The provider talks to one cloud-neutral interface (cloudAPI in
// cloud.go); each cloud implements it in <cloud>conn.go over its client package: ec2 (Query
// API, Signature V4), gce (Compute Engine REST v1), azure (Resource Manager). The handle
// holds cloud, region, instance id and scope (handle.go); instances are found by their tags
// (instance.go).
//
// Render turns the config into an HCL2 template (written with hclwrite, one source block for
// the chosen cloud) and the provisioning scripts the project ships; Provider implements
// providers.ImageBuilder by running packer on them through the cli runner, and reports each
// step of packer's -machine-readable output as it comes.
//
// Two template modes exist because the Packer on an executor may predate plugins: ModeLegacy
// for Packer 1.6.x (no packer { required_plugins } block and no packer init) and ModePlugins
// for 1.7 and later. The mode comes from `packer version`.
//
// Cloud credentials are never written into a template or passed in argv: the clouds' SDKs read
// them from packer's environment, which the provider builds explicitly from the executor's.
package vm
