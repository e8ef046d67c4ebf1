package github

import (
	"context"
	"errors"

	"github.com/sindri/deploy/v3/pkg/cost"
)

// Target names one environment's GitHub objects. CommentID and DeploymentID are the known ids
// (from the env record, or from the sticky comment's marker through Lookup); Report fills them
// in so the caller can store them again.
type Target struct {
	Owner, Repo string
	PR          int    // 0 for branch environments: no comment is written
	Env         string // environment name: Deployment environment and comment marker
	Ref         string // ref or SHA a new Deployment is created for
	CommentID   int64
	// DeploymentID is the environment's GitHub Deployment; it is written into the marker.
	DeploymentID int64
	// Closed is written into the marker: the PR was closed and the environment torn down.
	Closed bool
	// Provider is written into the marker: the provider the environment was deployed with,
	// "" once it is destroyed.
	Provider string
	// Usage is written into the marker: the environment's running and stopped time
	// (docs/cost.md); nil leaves it out.
	Usage *cost.Usage
	// Searched records that the PR's comments were searched (Lookup) and CommentID is what
	// was found, 0 meaning there is none: the next comment write creates without searching,
	// and a Deployment is created without looking for one first.
	Searched bool
	// New says the environment is new to GitHub as far as the caller can tell (its pull
	// request was just opened and the bus knows nothing of it): Lookup searches nothing and
	// the comment and Deployment are created at once. Each create is followed by its own
	// duplicate check, which converges on an older comment or Deployment should one exist
	// (a re-run, an overlapping run), so looking before creating would be a second lookup.
	New bool
}

// Update is one report: a deployment status and the sticky comment text.
type Update struct {
	// Status is the deployment status to add; an empty State leaves the Deployment alone.
	Status DeploymentStatus
	// Comment is the sticky comment's Markdown (without marker); empty leaves it alone.
	Comment string
}

// Reporter writes Updates to a Client, as configured by the comment and deployment inputs.
type Reporter struct {
	Client      *Client
	Comments    bool // write the sticky comment
	Deployments bool // write Deployments and statuses
}

// Lookup finds t's sticky comment with one listing of the PR's comments (one request per 100
// comments) when its id is not known yet, and fills in t.CommentID and, from the marker, the
// DeploymentID (unless t already knows one), Closed and Provider (unless t knows one); t.Searched is set once the search
// completed. It returns what the marker said (ok false when nothing was found or nothing was
// searched: comments off, no PR, id already known). A New target is not searched; it counts
// as searched with nothing found. Errors are *APIError or ErrBadEnv.
func (r *Reporter) Lookup(ctx context.Context, t *Target) (s Sticky, ok bool, err error) {
	if !r.Comments || t.PR <= 0 || t.CommentID != 0 {
		return Sticky{}, false, nil
	}
	if t.New {
		t.Searched = true
		return Sticky{}, false, nil
	}
	sc, found, err := r.Client.FindSticky(ctx, t.Owner, t.Repo, t.PR, t.Env)
	if err != nil {
		return Sticky{}, false, err
	}
	t.Searched = true
	if !found {
		return Sticky{}, false, nil
	}
	t.CommentID = sc.ID
	if t.DeploymentID == 0 {
		t.DeploymentID = sc.DeploymentID
	}
	t.Closed = t.Closed || sc.Closed
	if t.Provider == "" {
		t.Provider = sc.Provider
	}
	if t.Usage == nil {
		t.Usage = sc.Usage
	}
	return sc.Sticky, true, nil
}

// Report writes u for t: first the deployment status (creating the Deployment when needed,
// but never just to mark it inactive), then the sticky comment, whose marker then carries the
// deployment id, so a failed comment never leaves the deployment looking pending. An update
// with no Status.State leaves the Deployment alone. Both are attempted; their errors are
// joined.
func (r *Reporter) Report(ctx context.Context, t *Target, u Update) error {
	var depErr, comErr error
	if r.Deployments && u.Status.State != "" {
		create := u.Status.State != StateInactive
		known := t.DeploymentID != 0
		var id int64
		var err error
		if !known && create && (t.New || r.Comments && t.Searched && t.CommentID == 0) {
			// No sticky comment names a Deployment: create one at once; its duplicate check
			// finds an older one (a deleted comment, an overlapping run) and converges on it.
			id, err = r.Client.createDeployment(ctx, t.Owner, t.Repo, t.Env, t.Ref)
		} else {
			id, err = r.Client.EnsureDeployment(ctx, t.Owner, t.Repo, t.Env, t.Ref, t.DeploymentID, create)
		}
		if err == nil && id != 0 {
			t.DeploymentID = id
			err = r.Client.SetDeploymentStatus(ctx, t.Owner, t.Repo, id, u.Status)
			if errors.Is(err, ErrNotFound) && known {
				// The known deployment was deleted: find or make a new one once.
				t.DeploymentID = 0
				if id, err = r.Client.EnsureDeployment(ctx, t.Owner, t.Repo, t.Env, t.Ref, 0, create); err == nil && id != 0 {
					t.DeploymentID = id
					err = r.Client.SetDeploymentStatus(ctx, t.Owner, t.Repo, id, u.Status)
				}
			}
		}
		depErr = err
	}
	if r.Comments && t.PR > 0 && u.Comment != "" {
		id, err := r.Client.UpsertComment(ctx, t, u.Comment)
		if err == nil {
			t.CommentID = id
		}
		comErr = err
	}
	return errors.Join(depErr, comErr)
}
