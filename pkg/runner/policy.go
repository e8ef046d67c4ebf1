package runner

import (
	"github.com/sindri/deploy/v3/pkg/action"
	"github.com/sindri/deploy/v3/pkg/jobs"
)

// kindPolicy is how one invocation treats a job kind around publishing it: what it reports to
// GitHub and when, whether close wins over it, which provider it uses. Every decision in job
// that differs by kind reads this table; TestKindPoliciesCoverEveryKind walks jobs.Kinds.
type kindPolicy struct {
	// reports: the job is reported on GitHub (sticky comment, Deployment). Plans are not.
	reports bool
	// reportFirst: "in progress" is reported before the job is published, so a token GitHub
	// rejects stops it before anything is deployed (deploy). Without it the in-progress
	// report follows the publish (destroy: tearing down must not depend on GitHub).
	reportFirst bool
	// reportAfter: "in progress" is reported once the job is queued.
	reportAfter bool
	// skipUnreported: when nothing of the environment is on GitHub, the job reports nothing
	// (closing a PR that never had an environment).
	skipUnreported bool
	// touchesDeployment: the final report writes a Deployment status. A status job only
	// looks; it refreshes an existing sticky comment.
	touchesDeployment bool
	// opens: the job brings the environment up. Close wins over it, and it clears the
	// marker's closed flag.
	opens bool
	// readOnly: dry-run leaves it as it is (the others run as plans).
	readOnly bool
	// resolvesImage: image_config.version is resolved before publishing (deploy, plan).
	resolvesImage bool
	// provider: which provider the job uses when the environment was deployed with another.
	provider providerRule
	// phase is the view's phase while the job runs.
	phase action.Phase
}

// providerRule says which provider a job uses when the environment's record or marker names
// another one than the config, the input or a ChatOps flag.
type providerRule int

const (
	// useRecorded: the provider the environment was deployed with (teardown must not orphan).
	useRecorded providerRule = iota
	// refuseIfLive: a deploy with another provider than a live environment's is refused.
	refuseIfLive
	// asAsked: the provider asked for (a plan changes nothing).
	asAsked
)

var kindPolicies = map[jobs.Kind]kindPolicy{
	jobs.KindDeploy: {reports: true, reportFirst: true, touchesDeployment: true, opens: true,
		resolvesImage: true, provider: refuseIfLive, phase: action.PhaseDeploying},
	jobs.KindDestroy: {reports: true, reportAfter: true, skipUnreported: true, touchesDeployment: true,
		provider: useRecorded, phase: action.PhaseDestroying},
	jobs.KindStop:   {reports: true, touchesDeployment: true, provider: useRecorded, phase: action.PhaseDeploying},
	jobs.KindStart:  {reports: true, touchesDeployment: true, opens: true, provider: useRecorded, phase: action.PhaseDeploying},
	jobs.KindStatus: {reports: true, readOnly: true, provider: useRecorded, phase: action.PhaseDeploying},
	jobs.KindPlan:   {readOnly: true, resolvesImage: true, provider: asAsked, phase: action.PhaseDeploying},
	jobs.KindReap: {reports: true, touchesDeployment: true, provider: useRecorded,
		phase: action.PhaseDestroying},
	// Image jobs concern no environment: nothing on GitHub but the job summary.
	jobs.KindImageBuild:    {provider: asAsked, phase: action.PhaseDeploying},
	jobs.KindImageValidate: {readOnly: true, provider: asAsked, phase: action.PhaseDeploying},
	jobs.KindImageList:     {readOnly: true, provider: asAsked, phase: action.PhaseDeploying},
	jobs.KindImageDelete:   {provider: asAsked, phase: action.PhaseDestroying},
}

// policyOf returns kind's policy.
func policyOf(kind jobs.Kind) kindPolicy { return kindPolicies[kind] }
