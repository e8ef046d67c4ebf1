package vm

import (
	"fmt"
	"math"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// catalogue is one cloud's prices Plan's estimate comes from, in USD: on-demand Linux prices
// per instance hour, the root disk's price per month (by its type and size), and image
// storage per GB-month.
type catalogue struct {
	InstanceHourly   map[string]float64
	Disk             func(diskType string, gb int) float64
	ImagePerGBMonth  float64
	Where            string // the region the prices are of
	Source, Date     string
	DiskType         func(pc *config.PackerConfig) string
	ImageStorageName string // "snapshots", "image storage"
	// Rate, when set, prices the instance instead of InstanceHourly (OCI's Flex shapes, by
	// their OCPUs and memory); ok false when it has no price.
	Rate func(d *desired) (rate float64, ok bool)
	// Extra is a further note ("public traffic is billed apart"), or "".
	Extra string
	// AddressHourly is the public IPv4 address the launch always makes (GCP's external
	// address, Azure's public IP), billed while it exists; 0 when the launch makes none.
	AddressHourly float64
}

// perGB prices a disk at a flat rate per GB-month by type.
func perGB(rates map[string]float64) func(string, int) float64 {
	return func(t string, gb int) float64 { return float64(gb) * rates[t] }
}

// prices are the catalogues by cloud. All UNVERIFIED against the clouds' live price APIs.
var prices = map[config.PackerCloud]catalogue{
	// Source: https://aws.amazon.com/ec2/pricing/on-demand/ (instances) and
	// https://aws.amazon.com/ebs/pricing/ (gp3 $0.08 per GB-month, snapshots $0.05 per
	// GB-month), as published on 2026-12-05.
	config.CloudAWS: {
		InstanceHourly: map[string]float64{
			"t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416, "t3.large": 0.0832,
			"t3.xlarge": 0.1664, "t3.2xlarge": 0.3328,
			"m5.large": 0.096, "m5.xlarge": 0.192, "m6i.large": 0.096, "m6i.xlarge": 0.192, "m6i.2xlarge": 0.384,
			"c5.large": 0.085, "c6i.large": 0.085, "c6i.xlarge": 0.17,
			"r6i.large": 0.126, "r6i.xlarge": 0.252,
		},
		Disk:             perGB(map[string]float64{"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "standard": 0.05}),
		ImagePerGBMonth:  0.05,
		Where:            "us-east-1/us-west-2",
		Source:           "https://aws.amazon.com/ec2/pricing/on-demand/ and https://aws.amazon.com/ebs/pricing/",
		Date:             "2026-12-05",
		DiskType:         func(pc *config.PackerConfig) string { return deref(pc.AWS).VolumeType },
		ImageStorageName: "image snapshots",
	},
	// Source: https://cloud.google.com/compute/vm-instance-pricing (E2 and N2 predefined
	// types, us-central1/us-west1) and https://cloud.google.com/compute/disks-image-pricing
	// (pd-ssd $0.17, pd-balanced $0.10, pd-standard $0.04 per GB-month; custom image storage
	// $0.05 per GB-month), as published on 2026-12-06.
	config.CloudGCP: {
		InstanceHourly: map[string]float64{
			"e2-medium": 0.033503, "e2-standard-2": 0.067006, "e2-standard-4": 0.134012, "e2-standard-8": 0.268024,
			"n2-standard-2": 0.097118, "n2-standard-4": 0.194236, "n2-standard-8": 0.388472,
		},
		Disk:             perGB(map[string]float64{"pd-ssd": 0.17, "pd-balanced": 0.10, "pd-standard": 0.04}),
		ImagePerGBMonth:  0.05,
		Where:            "us-central1/us-west1",
		Source:           "https://cloud.google.com/compute/vm-instance-pricing and https://cloud.google.com/compute/disks-image-pricing",
		Date:             "2026-12-06",
		DiskType:         func(pc *config.PackerConfig) string { return deref(pc.GCP).DiskType },
		ImageStorageName: "image storage",
		// https://cloud.google.com/vpc/network-pricing: an external IPv4 address in use by a
		// standard VM, $0.005 per hour.
		AddressHourly: 0.005,
	},
	// Source: https://azure.microsoft.com/pricing/details/virtual-machines/linux/ (pay as you
	// go, East US/West US 2) and https://azure.microsoft.com/pricing/details/managed-disks/
	// (Premium SSD P4 $5.28, P6 $10.21, P10 $19.71, P15 $38.01, P20 $73.22 per month;
	// Standard SSD about $0.075 and Standard HDD about $0.045 per GB-month; snapshots of a
	// managed image $0.05 per GB-month), as published on 2026-12-06.
	config.CloudAzure: {
		InstanceHourly: map[string]float64{
			"Standard_B2s": 0.0416, "Standard_B2ms": 0.0832, "Standard_D2s_v4": 0.096, "Standard_D4s_v4": 0.192,
			"Standard_D8s_v4": 0.384, "Standard_D2s_v5": 0.096, "Standard_D4s_v5": 0.192, "Standard_D8s_v5": 0.384,
		},
		Disk:             azureDisk,
		ImagePerGBMonth:  0.05,
		Where:            "East US/West US 2",
		Source:           "https://azure.microsoft.com/pricing/details/virtual-machines/linux/ and https://azure.microsoft.com/pricing/details/managed-disks/",
		Date:             "2026-12-06",
		DiskType:         func(pc *config.PackerConfig) string { return deref(pc.Azure).StorageAccountType },
		ImageStorageName: "image snapshots",
		// https://azure.microsoft.com/pricing/details/ip-addresses/: a Standard static IPv4
		// address, $0.005 per hour, billed stopped or not.
		AddressHourly: 0.005,
	},
}

// azureDisk prices a managed OS disk: Premium SSD by its size tier, the standard types per GB.
func azureDisk(t string, gb int) float64 {
	if t == "Premium_LRS" {
		for _, tier := range []struct {
			gb    int
			price float64
		}{{32, 5.28}, {64, 10.21}, {128, 19.71}, {256, 38.01}, {512, 73.22}} {
			if gb <= tier.gb {
				return tier.price
			}
		}
		return float64(gb) * 0.143
	}
	return float64(gb) * map[string]float64{"StandardSSD_LRS": 0.075, "Standard_LRS": 0.045}[t]
}

// hoursPerMonth is the clouds' billing month.
const hoursPerMonth = 730

// buildMinutes is the build time the estimate assumes for an image that must be built
// (a Sindri image on a 2-4 vCPU machine takes 20 to 40 minutes).
const buildMinutes = 30

// estimate prices d's instance running all month with its root disk, plus the image's
// storage, and, when build is set, one build at the instance rate. An instance type missing
// from the catalogue gives no hourly figure, only a note; a cloud without one, only a note.
func estimate(d *desired, build bool) *providers.CostEstimate {
	cat, known := prices[d.cloud]
	if !known {
		return &providers.CostEstimate{Currency: "USD", Notes: fmt.Sprintf("no price catalogue for %s", d.cloud)}
	}
	diskType := cat.DiskType(d.pc)
	rate, ok := cat.InstanceHourly[d.instanceType]
	if cat.Rate != nil {
		rate, ok = cat.Rate(d)
	}
	volume := cat.Disk(diskType, d.volumeGB)
	snapshot := float64(d.volumeGB) * cat.ImagePerGBMonth
	notes := fmt.Sprintf("%d GB %s root volume $%.2f/month, %s up to $%.2f/month", d.volumeGB, diskType, volume, cat.ImageStorageName, snapshot)
	if cat.AddressHourly > 0 {
		notes += fmt.Sprintf(", public IPv4 address $%.2f/month", cat.AddressHourly*hoursPerMonth)
	}
	if build {
		notes += fmt.Sprintf(", one image build of about %d minutes", buildMinutes)
		if ok {
			notes += fmt.Sprintf(" ($%.2f)", rate*buildMinutes/60)
		}
	}
	notes += "; a stopped instance costs its volume only"
	if cat.Extra != "" {
		notes += "; " + cat.Extra
	}
	notes += fmt.Sprintf(". Prices (%s, on demand) from %s as of %s.", cat.Where, cat.Source, cat.Date)
	est := &providers.CostEstimate{Currency: "USD", Notes: notes}
	if !ok {
		est.Notes = fmt.Sprintf("no price for instance type %s in the catalogue; ", d.instanceType) + notes
		return est
	}
	hourly := round4(rate + cat.AddressHourly + (volume+snapshot)/hoursPerMonth)
	monthly := round2((rate+cat.AddressHourly)*hoursPerMonth + volume + snapshot)
	est.Hourly, est.Monthly = &hourly, &monthly
	return est
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
