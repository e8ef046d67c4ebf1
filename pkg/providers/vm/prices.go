package vm

import (
	"fmt"
	"math"

	"github.com/sindri/deploy/v3/pkg/config"
	"github.com/sindri/deploy/v3/pkg/providers"
)

// awsPrices is the catalogue Plan's estimate comes from: EC2 on-demand Linux prices per
// instance hour and EBS prices per GB-month, in USD, for us-east-1 and us-west-2 (which
// price these alike; other regions differ by up to about a third).
//
// Source: https://aws.amazon.com/ec2/pricing/on-demand/ (instances) and
// https://aws.amazon.com/ebs/pricing/ (gp3 $0.08 per GB-month, snapshots $0.05 per
// GB-month), as published on 2026-12-05; UNVERIFIED against the live price list API.
var awsPrices = struct {
	InstanceHourly     map[string]float64
	VolumePerGBMonth   map[string]float64
	SnapshotPerGBMonth float64
	Source, Date       string
}{
	InstanceHourly: map[string]float64{
		"t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416, "t3.large": 0.0832,
		"t3.xlarge": 0.1664, "t3.2xlarge": 0.3328,
		"m5.large": 0.096, "m5.xlarge": 0.192, "m6i.large": 0.096, "m6i.xlarge": 0.192, "m6i.2xlarge": 0.384,
		"c5.large": 0.085, "c6i.large": 0.085, "c6i.xlarge": 0.17,
		"r6i.large": 0.126, "r6i.xlarge": 0.252,
	},
	VolumePerGBMonth:   map[string]float64{"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "standard": 0.05},
	SnapshotPerGBMonth: 0.05,
	Source:             "https://aws.amazon.com/ec2/pricing/on-demand/ and https://aws.amazon.com/ebs/pricing/",
	Date:               "2026-12-05",
}

// hoursPerMonth is AWS's billing month.
const hoursPerMonth = 730

// buildMinutes is the build time the estimate assumes for an image that must be built
// (a Sindri image on t3.large takes 20 to 40 minutes).
const buildMinutes = 30

// estimate prices d's instance running all month with its root volume, plus the image's
// storage, and, when build is set, one build at the instance rate. An instance type missing
// from the cloud's catalogue gives no hourly figure, only a note.
func estimate(d *desired, build bool) *providers.CostEstimate {
	switch d.cloud {
	case config.CloudOCI:
		return sheetEstimate(d, build, ociSheet(d))
	case config.CloudAlibaba:
		return sheetEstimate(d, build, aliSheet(d))
	}
	volumeType := deref(d.pc.AWS).VolumeType
	rate, ok := awsPrices.InstanceHourly[d.instanceType]
	return sheetEstimate(d, build, priceSheet{rate: rate, known: ok, volume: volumeType + " root volume",
		volumePerGB: awsPrices.VolumePerGBMonth[volumeType], image: "image snapshots", imagePerGB: awsPrices.SnapshotPerGBMonth,
		where: "us-east-1/us-west-2, on demand", source: awsPrices.Source, date: awsPrices.Date})
}

// priceSheet is what an estimate needs of one cloud's catalogue for d.
type priceSheet struct {
	// rate is the instance's hourly price; known false when the catalogue has none.
	rate  float64
	known bool
	// volume names the root disk ("gp3 root volume"); volumePerGB its price per GB-month.
	volume      string
	volumePerGB float64
	// image names the image's storage ("image snapshots"); imagePerGB its price per GB-month.
	image        string
	imagePerGB   float64
	where        string // the regions and terms the prices are for
	source, date string
	extra        string // a further note ("public traffic is billed apart"), or ""
}

// sheetEstimate prices d from sh: the instance all month, its root volume, the image's
// storage (about the root volume's size), and one build when build is set.
func sheetEstimate(d *desired, build bool, sh priceSheet) *providers.CostEstimate {
	volume := float64(d.volumeGB) * sh.volumePerGB
	image := float64(d.volumeGB) * sh.imagePerGB
	notes := fmt.Sprintf("%d GB %s $%.2f/month, %s up to $%.2f/month", d.volumeGB, sh.volume, volume, sh.image, image)
	if build {
		notes += fmt.Sprintf(", one image build of about %d minutes", buildMinutes)
		if sh.known {
			notes += fmt.Sprintf(" ($%.2f)", sh.rate*buildMinutes/60)
		}
	}
	notes += "; a stopped instance costs its volume only"
	if sh.extra != "" {
		notes += "; " + sh.extra
	}
	notes += fmt.Sprintf(". Prices (%s) from %s as of %s.", sh.where, sh.source, sh.date)
	est := &providers.CostEstimate{Currency: "USD", Notes: notes}
	if !sh.known {
		est.Notes = fmt.Sprintf("no price for instance type %s in the catalogue; ", d.instanceType) + notes
		return est
	}
	hourly := round4(sh.rate + (volume+image)/hoursPerMonth)
	monthly := round2(sh.rate*hoursPerMonth + volume + image)
	est.Hourly, est.Monthly = &hourly, &monthly
	return est
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
