package github

import (
	"context"
	"errors"
)

// Target names one environment's GitHub objects. CommentID and DeploymentID are the cached ids
// (from the env record); Report fills them in so the caller can store them again, which keeps a
// steady-state PR event to two requests per Report.
type Target struct {
	Owner, Repo  string
	PR           int    // 0 for branch environments: no comment is written
	Env          string // environment name: Deployment environment and comment marker
	Ref          string // ref or SHA a new Deployment is created for
	CommentID    int64
	DeploymentID int64
}

// Update is one report: a deployment status and the sticky comment text.
type Update struct {
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

// Report writes u for t: first the deployment status (creating the Deployment when needed,
// but never just to mark it inactive), then the sticky comment, so a failed comment never
// leaves the deployment looking pending. Both are attempted; their errors are joined.
func (r *Reporter) Report(ctx context.Context, t *Target, u Update) error {
	var depErr, comErr error
	if r.Deployments {
		create := u.Status.State != StateInactive
		id, err := r.Client.EnsureDeployment(ctx, t.Owner, t.Repo, t.Env, t.Ref, t.DeploymentID, create)
		if err == nil && id != 0 {
			t.DeploymentID = id
			err = r.Client.SetDeploymentStatus(ctx, t.Owner, t.Repo, id, u.Status)
			if errors.Is(err, ErrNotFound) && t.DeploymentID != 0 {
				// The cached deployment was deleted: find or make a new one once.
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
		id, err := r.Client.UpsertComment(ctx, t.Owner, t.Repo, t.PR, t.Env, t.CommentID, u.Comment)
		if err == nil {
			t.CommentID = id
		}
		comErr = err
	}
	return errors.Join(depErr, comErr)
}
