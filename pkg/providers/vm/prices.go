package vm

import (
	"fmt"
	"math"

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
// snapshot storage, and, when build is set, one build at the instance rate. An instance type
// missing from the catalogue gives no hourly figure, only a note.
func estimate(d *desired, build bool) *providers.CostEstimate {
	volumeType := deref(d.pc.AWS).VolumeType
	rate, ok := awsPrices.InstanceHourly[d.instanceType]
	volume := float64(d.volumeGB) * awsPrices.VolumePerGBMonth[volumeType]
	snapshot := float64(d.volumeGB) * awsPrices.SnapshotPerGBMonth
	notes := fmt.Sprintf("%d GB %s root volume $%.2f/month, image snapshots up to $%.2f/month", d.volumeGB, volumeType, volume, snapshot)
	if build {
		notes += fmt.Sprintf(", one image build of about %d minutes", buildMinutes)
		if ok {
			notes += fmt.Sprintf(" ($%.2f)", rate*buildMinutes/60)
		}
	}
	notes += fmt.Sprintf("; a stopped instance costs its volume only. Prices (us-east-1/us-west-2, on demand) from %s as of %s.", awsPrices.Source, awsPrices.Date)
	est := &providers.CostEstimate{Currency: "USD", Notes: notes}
	if !ok {
		est.Notes = fmt.Sprintf("no price for instance type %s in the catalogue; ", d.instanceType) + notes
		return est
	}
	hourly := round4(rate + (volume+snapshot)/hoursPerMonth)
	monthly := round2(rate*hoursPerMonth + volume + snapshot)
	est.Hourly, est.Monthly = &hourly, &monthly
	return est
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }
