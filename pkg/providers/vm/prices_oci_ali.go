package vm

import "strings"

// ociPrices is OCI's catalogue for Plan's estimate, in USD, pay as you go (the same in every
// commercial region): Flex shapes per OCPU hour and per GB of memory an hour, fixed shapes
// per instance hour, block volumes per GB-month (storage $0.0255 plus the balanced
// performance of 10 VPUs at $0.0017), and custom images per GB-month (object storage).
//
// Source: https://www.oracle.com/cloud/price-list/ (Compute, Block Volume, Object Storage),
// as published on 2026-12-05; UNVERIFIED against the live price list.
var ociPrices = struct {
	FlexOCPUHourly, FlexGBHourly map[string]float64
	FixedHourly                  map[string]float64
	VolumePerGBMonth             float64
	ImagePerGBMonth              float64
	Source, Date                 string
}{
	FlexOCPUHourly:   map[string]float64{"VM.Standard.E4.Flex": 0.025, "VM.Standard.E5.Flex": 0.03, "VM.Standard3.Flex": 0.04, "VM.Standard.A1.Flex": 0.01},
	FlexGBHourly:     map[string]float64{"VM.Standard.E4.Flex": 0.0015, "VM.Standard.E5.Flex": 0.002, "VM.Standard3.Flex": 0.0015, "VM.Standard.A1.Flex": 0.0015},
	FixedHourly:      map[string]float64{"VM.Standard2.1": 0.0638, "VM.Standard2.2": 0.1276, "VM.Standard2.4": 0.2552, "VM.Standard.E2.1.Micro": 0},
	VolumePerGBMonth: 0.0425,
	ImagePerGBMonth:  0.0255,
	Source:           "https://www.oracle.com/cloud/price-list/",
	Date:             "2026-12-05",
}

// ociSheet prices d's shape: a Flex shape by its OCPUs and memory (shape_config, default 2
// OCPUs and 16 GB), a fixed one by the hour.
func ociSheet(d *desired) priceSheet {
	sh := priceSheet{volume: "balanced boot volume", volumePerGB: ociPrices.VolumePerGBMonth, image: "custom image storage",
		imagePerGB: ociPrices.ImagePerGBMonth, where: "all commercial regions, pay as you go", source: ociPrices.Source, date: ociPrices.Date}
	if strings.HasSuffix(d.instanceType, ".Flex") {
		ocpu, ok1 := ociPrices.FlexOCPUHourly[d.instanceType]
		gb, ok2 := ociPrices.FlexGBHourly[d.instanceType]
		ocpus, mem := ociFlex(deref(d.pc.OCI))
		sh.rate, sh.known = float64(ocpus)*ocpu+float64(mem)*gb, ok1 && ok2
		return sh
	}
	sh.rate, sh.known = ociPrices.FixedHourly[d.instanceType]
	return sh
}

// aliPrices is Alibaba Cloud's catalogue for Plan's estimate, in USD, pay as you go, for the
// international regions (US Virginia / Silicon Valley): instance types per hour, system
// disks per GB-month by category, snapshots per GB-month.
//
// Source: https://www.alibabacloud.com/product/ecs#pricing (instances, disks) and
// https://www.alibabacloud.com/product/snapshot#pricing, approximations read on 2026-12-05;
// UNVERIFIED: prices differ by region, check the pricing calculator.
var aliPrices = struct {
	InstanceHourly   map[string]float64
	DiskPerGBMonth   map[string]float64
	SnapshotPerGBMon float64
	Source, Date     string
}{
	InstanceHourly: map[string]float64{"ecs.g6.large": 0.118, "ecs.g6.xlarge": 0.236, "ecs.g6.2xlarge": 0.472,
		"ecs.g7.large": 0.126, "ecs.g7.xlarge": 0.252, "ecs.c7.large": 0.098, "ecs.c7.xlarge": 0.196},
	DiskPerGBMonth:   map[string]float64{"cloud": 0.05, "cloud_efficiency": 0.05, "cloud_ssd": 0.14, "cloud_essd": 0.14, "cloud_auto": 0.10},
	SnapshotPerGBMon: 0.026,
	Source:           "https://www.alibabacloud.com/product/ecs#pricing",
	Date:             "2026-12-05",
}

// aliSheet prices d's instance type and system disk category.
func aliSheet(d *desired) priceSheet {
	cat := deref(d.pc.Alibaba).SystemDiskCategory
	rate, ok := aliPrices.InstanceHourly[d.instanceType]
	return priceSheet{rate: rate, known: ok, volume: cat + " system disk", volumePerGB: aliPrices.DiskPerGBMonth[cat],
		image: "image snapshots", imagePerGB: aliPrices.SnapshotPerGBMon, where: "international regions, pay as you go, approximate",
		source: aliPrices.Source, date: aliPrices.Date,
		extra: "public traffic is billed apart (pay by traffic); stopped in StopCharging mode, vCPUs and memory are not billed"}
}
