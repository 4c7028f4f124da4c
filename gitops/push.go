package gitops

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// ErrConflict is returned (wrapped) by Push when the remote branch moved:
// the push was not a fast-forward.
var ErrConflict = errors.New("remote branch moved (not a fast-forward)")

// Push pushes commit h to branch of remote. It never forces: a rejected
// non-fast-forward update returns an error wrapping ErrConflict.
func (r *Repo) Push(ctx context.Context, remote string, h Hash, branch string, auth Auth) error {
	url := r.RemoteURL(remote)
	spec := config.RefSpec(h.String() + ":refs/heads/" + branch)
	err := r.repo.PushContext(ctx, &git.PushOptions{
		RemoteName: remote,
		RefSpecs:   []config.RefSpec{spec},
		Auth:       auth.method(url),
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		err = nil
	}
	if err != nil {
		msg := err.Error()
		for _, s := range []string{"non-fast-forward", "fetch first", "cannot lock ref", "failed to lock", "failed to update ref"} {
			if strings.Contains(msg, s) {
				return fmt.Errorf("push %s to %s %s: %w (%v)", h.String()[:12], remote, branch, ErrConflict, err)
			}
		}
		return fmt.Errorf("push %s to %s %s (%s): %w", h.String()[:12], remote, branch, redact(url), err)
	}
	return r.SetRef("refs/remotes/"+remote+"/"+branch, h)
}

// PublishOptions say where Publish writes.
type PublishOptions struct {
	// Remote to push to; "" commits to the local branch only.
	Remote string
	// Branch receives the commit. Base is where a new Branch starts (and where
	// it restarts once the old Branch has been merged into Base). For a direct
	// commit Branch == Base.
	Branch, Base string
	Auth         Auth
	Author       Signature
	// Attempts bounds the tries when the push races another writer (default 5);
	// the wait starts at Backoff (default 250ms) and doubles.
	Attempts int
	Backoff  time.Duration
	// Now stamps commits; default time.Now.
	Now func() time.Time
	// Offline skips fetching in Head: read commands use the last fetched state.
	Offline bool
}

// Build returns the changeset to commit on top of parent, the head Publish
// is about to push onto; callers re-plan there. A nil or empty changeset
// means there is nothing to publish.
type Build func(ctx context.Context, parent Hash) (*Changeset, error)

// Published says what Publish did.
type Published struct {
	// Commit is the pushed commit, zero when there was nothing to publish.
	Commit Hash
	Parent Hash
	// Attempts is how many times the changeset was built.
	Attempts int
	// WorktreeSynced is true when the checked-out branch was fast-forwarded
	// to Commit and the changed files were written into the worktree.
	WorktreeSynced bool
}

// Publish commits what build returns on top of the current head and pushes it,
// re-building on the new head when another writer pushed first.
func (r *Repo) Publish(ctx context.Context, opts PublishOptions, build Build) (*Published, error) {
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Base == "" {
		opts.Base = opts.Branch
	}
	wait := opts.Backoff
	opts.Offline = false // publishing always builds on the remote's current head
	for attempt := 1; ; attempt++ {
		parent, err := r.publishParent(ctx, opts)
		if err != nil {
			return nil, err
		}
		cs, err := build(ctx, parent)
		if err != nil {
			return nil, err
		}
		out := &Published{Parent: parent, Attempts: attempt}
		h, err := r.Commit(parent, cs, CommitOptions{Author: opts.Author, When: opts.Now()})
		if err != nil {
			return nil, err
		}
		if h.IsZero() {
			return out, nil
		}
		out.Commit = h
		if opts.Remote == "" {
			if err := r.CreateBranch(opts.Branch, h); err != nil {
				return nil, err
			}
			out.WorktreeSynced = r.syncWorktree(opts.Branch, parent, h, true)
			return out, nil
		}
		err = r.Push(ctx, opts.Remote, h, opts.Branch, opts.Auth)
		if err == nil {
			out.WorktreeSynced = r.syncWorktree(opts.Branch, parent, h, false)
			return out, nil
		}
		if !errors.Is(err, ErrConflict) || attempt >= opts.Attempts {
			if errors.Is(err, ErrConflict) {
				return nil, fmt.Errorf("%w; gave up after %d attempts", err, attempt)
			}
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// Head fetches (when opts has a remote) and returns the commit Publish would
// build on now: the tip of opts.Branch while it is not merged into opts.Base,
// else the tip of opts.Base. ferry reads its records there.
func (r *Repo) Head(ctx context.Context, opts PublishOptions) (Hash, error) {
	if opts.Base == "" {
		opts.Base = opts.Branch
	}
	return r.publishParent(ctx, opts)
}

// publishParent fetches and returns the commit to build on.
func (r *Repo) publishParent(ctx context.Context, opts PublishOptions) (Hash, error) {
	prefix := "refs/heads/"
	if opts.Remote != "" {
		if !opts.Offline {
			if err := r.Fetch(ctx, opts.Remote, opts.Auth); err != nil {
				return plumbing.ZeroHash, err
			}
		}
		prefix = "refs/remotes/" + opts.Remote + "/"
	}
	base, ok, err := r.RefHash(prefix + opts.Base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !ok && opts.Remote != "" {
		// An empty remote: start from the local branch.
		base, ok, err = r.RefHash("refs/heads/" + opts.Base)
		if err != nil {
			return plumbing.ZeroHash, err
		}
	}
	if !ok {
		return plumbing.ZeroHash, fmt.Errorf("branch %s not found (remote %q)", opts.Base, opts.Remote)
	}
	if opts.Branch == opts.Base {
		return base, nil
	}
	tip, ok, err := r.RefHash(prefix + opts.Branch)
	if err != nil || !ok {
		return base, err
	}
	merged, err := r.IsAncestor(tip, base)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if merged {
		return base, nil
	}
	return tip, nil
}

// syncWorktree fast-forwards the checked-out branch from old to new when it is
// branch, sits at old, and the files new changes are untouched in the worktree;
// it writes those files and updates the index. It reports whether it did.
// When refMoved is true the branch reference already points at new.
func (r *Repo) syncWorktree(branch string, old, new Hash, refMoved bool) bool {
	wt, err := r.repo.Worktree()
	if err != nil || r.HeadBranch() != branch {
		return false
	}
	local, ok, err := r.RefHash("refs/heads/" + branch)
	if err != nil || !ok {
		return false
	}
	if refMoved {
		if local != new {
			return false
		}
	} else if local != old {
		return false
	}
	changed, err := r.ChangedBetween(old, new)
	if err != nil {
		return false
	}
	oldC, err1 := r.commit(old)
	newC, err2 := r.commit(new)
	if err1 != nil || err2 != nil {
		return false
	}
	oldT, err1 := oldC.Tree()
	newT, err2 := newC.Tree()
	if err1 != nil || err2 != nil {
		return false
	}
	root := wt.Filesystem.Root()
	// Refuse when a file about to change was edited locally.
	for _, p := range changed {
		disk, derr := os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
		f, ferr := oldT.File(p)
		switch {
		case ferr != nil && derr == nil:
			return false // untracked file in the way
		case ferr == nil:
			want, err := f.Contents()
			if err != nil || derr != nil || string(disk) != want {
				return false
			}
		}
	}
	idx, err := r.repo.Storer.Index()
	if err != nil {
		return false
	}
	for _, p := range changed {
		full := filepath.Join(root, filepath.FromSlash(p))
		f, err := newT.File(p)
		if err != nil {
			os.Remove(full)
			idx.Remove(p)
			continue
		}
		data, err := f.Contents()
		if err != nil {
			return false
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return false
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			return false
		}
		setIndexEntry(idx, p, f, full)
	}
	if err := r.repo.Storer.SetIndex(idx); err != nil {
		return false
	}
	if !refMoved {
		if err := r.CreateBranch(branch, new); err != nil {
			return false
		}
	}
	return true
}

func setIndexEntry(idx *index.Index, p string, f *object.File, full string) {
	e, err := idx.Entry(p)
	if err != nil {
		e = idx.Add(p)
	}
	e.Hash = f.Hash
	e.Mode = filemode.Regular
	if fi, err := os.Stat(full); err == nil {
		e.Size = uint32(fi.Size())
		e.ModifiedAt = fi.ModTime()
	}
}
