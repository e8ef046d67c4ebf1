package vm

import (
	"strings"

	"github.com/sindri/deploy/v3/pkg/config"
)

func init() {
	prices[config.CloudOCI] = ociCatalogue
	prices[config.CloudAlibaba] = aliCatalogue
}

// ociFixedHourly are OCI's fixed shapes' prices per instance hour.
var ociFixedHourly = map[string]float64{"VM.Standard2.1": 0.0638, "VM.Standard2.2": 0.1276, "VM.Standard2.4": 0.2552, "VM.Standard.E2.1.Micro": 0}

// ociFlexHourly are OCI's Flex shapes' prices per OCPU hour and per GB of memory an hour.
var ociFlexHourly = map[string]struct{ OCPU, GB float64 }{
	"VM.Standard.E4.Flex": {0.025, 0.0015}, "VM.Standard.E5.Flex": {0.03, 0.002},
	"VM.Standard3.Flex": {0.04, 0.0015}, "VM.Standard.A1.Flex": {0.01, 0.0015},
}

// ociCatalogue is OCI's, pay as you go (the same in every commercial region): fixed shapes
// per instance hour, Flex shapes by their OCPUs and memory (ociFlexHourly; shape_config,
// default 2 OCPUs and 16 GB), block volumes per GB-month (storage $0.0255 plus the balanced
// performance of 10 VPUs at $0.0017), custom images per GB-month (object storage).
//
// Source: https://www.oracle.com/cloud/price-list/ (Compute, Block Volume, Object Storage),
// as published on 2026-12-06; UNVERIFIED against the live price list.
var ociCatalogue = catalogue{
	InstanceHourly:   ociFixedHourly,
	Rate:             ociRate,
	Disk:             perGB(map[string]float64{"balanced": 0.0425}),
	DiskType:         func(*config.PackerConfig) string { return "balanced" },
	ImagePerGBMonth:  0.0255,
	ImageStorageName: "custom image storage",
	Where:            "all commercial regions",
	Source:           "https://www.oracle.com/cloud/price-list/",
	Date:             "2026-12-06",
}

// ociRate prices d's shape: a Flex shape by its OCPUs and memory, a fixed one by the hour.
func ociRate(d *desired) (float64, bool) {
	if !strings.HasSuffix(d.instanceType, ".Flex") {
		r, ok := ociFixedHourly[d.instanceType]
		return r, ok
	}
	p, ok := ociFlexHourly[d.instanceType]
	ocpus, mem := ociFlex(deref(d.pc.OCI))
	return float64(ocpus)*p.OCPU + float64(mem)*p.GB, ok
}

// aliCatalogue is Alibaba Cloud's, pay as you go, for the international regions (US
// Virginia / Silicon Valley): instance types per hour, system disks per GB-month by
// category, snapshots per GB-month.
//
// Source: https://www.alibabacloud.com/product/ecs#pricing (instances, disks) and
// https://www.alibabacloud.com/product/snapshot#pricing, approximations read on 2026-12-06;
// UNVERIFIED: prices differ by region, check the pricing calculator.
var aliCatalogue = catalogue{
	InstanceHourly: map[string]float64{"ecs.g6.large": 0.118, "ecs.g6.xlarge": 0.236, "ecs.g6.2xlarge": 0.472,
		"ecs.g7.large": 0.126, "ecs.g7.xlarge": 0.252, "ecs.c7.large": 0.098, "ecs.c7.xlarge": 0.196},
	Disk:             perGB(map[string]float64{"cloud": 0.05, "cloud_efficiency": 0.05, "cloud_ssd": 0.14, "cloud_essd": 0.14, "cloud_auto": 0.10}),
	DiskType:         func(pc *config.PackerConfig) string { return deref(pc.Alibaba).SystemDiskCategory },
	ImagePerGBMonth:  0.026,
	ImageStorageName: "image snapshots",
	Where:            "international regions, approximate",
	Source:           "https://www.alibabacloud.com/product/ecs#pricing",
	Date:             "2026-12-06",
	Extra:            "public traffic is billed apart (pay by traffic); stopped in StopCharging mode, vCPUs and memory are not billed",
}
