package gitops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Hash is a git object name.
type Hash = plumbing.Hash

// Repo is an opened git repository.
type Repo struct {
	repo *git.Repository
	// Dir is the worktree root, or "" for a bare repository.
	Dir string
}

// Open opens the repository holding path (path may be any folder inside it).
func Open(path string) (*Repo, error) {
	r, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	repo := &Repo{repo: r}
	if wt, err := r.Worktree(); err == nil {
		repo.Dir = wt.Filesystem.Root()
	}
	return repo, nil
}

// Auth is how ferry authenticates to a remote. A Token authenticates HTTPS
// (GitHub accepts any user name with a token); SSH uses the agent. The zero
// value means no authentication (file remotes, public repositories).
type Auth struct {
	Token    string
	Username string
}

func (a Auth) method(url string) transport.AuthMethod {
	if a.Token == "" || !(strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
		return nil
	}
	user := a.Username
	if user == "" {
		user = "x-access-token"
	}
	return &http.BasicAuth{Username: user, Password: a.Token}
}

// Clone clones url into a folder of cacheDir named after the URL, or fetches
// into it when it is already there, and opens it. The clone is bare: ferry reads
// trees from objects and never needs a checkout.
func Clone(ctx context.Context, url, cacheDir string, auth Auth) (*Repo, error) {
	sum := sha256.Sum256([]byte(url))
	dir := filepath.Join(cacheDir, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		r, err := git.PlainOpen(dir)
		if err != nil {
			return nil, fmt.Errorf("open cached clone of %s: %w", redact(url), err)
		}
		repo := &Repo{repo: r}
		if err := repo.Fetch(ctx, "origin", auth); err != nil {
			return nil, err
		}
		return repo, nil
	}
	r, err := git.PlainCloneContext(ctx, dir, true, &git.CloneOptions{URL: url, Auth: auth.method(url)})
	if err != nil {
		return nil, fmt.Errorf("clone %s: %w", redact(url), err)
	}
	return &Repo{repo: r}, nil
}

// redact drops credentials embedded in a URL before it goes into an error.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 && at < strings.IndexAny(rest+"/", "/") {
		rest = "***@" + rest[at+1:]
	}
	return scheme + "://" + rest
}

// Git returns the underlying go-git repository, for callers that need more.
func (r *Repo) Git() *git.Repository { return r.repo }

// Resolve returns the commit a revision names: a hash, a branch, a tag, a full
// reference name, "HEAD", or "<remote>/<branch>".
func (r *Repo) Resolve(rev string) (Hash, error) {
	if rev == "" {
		rev = "HEAD"
	}
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("resolve revision %s: %w", rev, err)
	}
	return *h, nil
}

// RefHash returns the commit of a full reference name; ok is false when the
// reference does not exist.
func (r *Repo) RefHash(name string) (h Hash, ok bool, err error) {
	ref, err := r.repo.Reference(plumbing.ReferenceName(name), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, false, nil
	}
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("read reference %s: %w", name, err)
	}
	return ref.Hash(), true, nil
}

// SetRef points a full reference name at h.
func (r *Repo) SetRef(name string, h Hash) error {
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(plumbing.ReferenceName(name), h)); err != nil {
		return fmt.Errorf("set reference %s: %w", name, err)
	}
	return nil
}

// CreateBranch creates (or moves) the local branch name to h.
func (r *Repo) CreateBranch(name string, h Hash) error {
	return r.SetRef("refs/heads/"+name, h)
}

// HeadBranch returns the branch HEAD points at, or "" when HEAD is detached.
func (r *Repo) HeadBranch() string {
	ref, err := r.repo.Reference(plumbing.HEAD, false)
	if err != nil || ref.Type() != plumbing.SymbolicReference {
		return ""
	}
	return ref.Target().Short()
}

// RemoteURL returns the first URL of a remote, or "" when there is no such remote.
func (r *Repo) RemoteURL(remote string) string {
	rem, err := r.repo.Remote(remote)
	if err != nil || len(rem.Config().URLs) == 0 {
		return ""
	}
	return rem.Config().URLs[0]
}

// Fetch updates the remote-tracking branches of remote.
func (r *Repo) Fetch(ctx context.Context, remote string, auth Auth) error {
	url := r.RemoteURL(remote)
	err := r.repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remote,
		Auth:       auth.method(url),
		RefSpecs:   []config.RefSpec{config.RefSpec("+refs/heads/*:refs/remotes/" + remote + "/*")},
		Prune:      true,
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return fmt.Errorf("fetch %s (%s): %w", remote, redact(url), err)
	}
	return nil
}

// commit returns the commit object h.
func (r *Repo) commit(h Hash) (*object.Commit, error) {
	c, err := r.repo.CommitObject(h)
	if err != nil {
		return nil, fmt.Errorf("read commit %s: %w", h, err)
	}
	return c, nil
}

// CommitInfo is what callers need to know of a commit.
type CommitInfo struct {
	Hash    Hash
	Parents []Hash
	Author  Signature
	Message string
	Time    int64 // committer time, Unix seconds
}

// Info returns a commit's metadata.
func (r *Repo) Info(h Hash) (*CommitInfo, error) {
	c, err := r.commit(h)
	if err != nil {
		return nil, err
	}
	return &CommitInfo{
		Hash: c.Hash, Parents: c.ParentHashes, Message: c.Message,
		Author: Signature{Name: c.Author.Name, Email: c.Author.Email},
		Time:   c.Committer.When.Unix(),
	}, nil
}

// IsAncestor reports whether a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(a, b Hash) (bool, error) {
	if a == b {
		return true, nil
	}
	ca, err := r.commit(a)
	if err != nil {
		return false, err
	}
	cb, err := r.commit(b)
	if err != nil {
		return false, err
	}
	return ca.IsAncestor(cb)
}

// Log calls fn for each commit reachable from h through first parents, newest
// first, until fn returns false.
func (r *Repo) Log(h Hash, fn func(*CommitInfo) bool) error {
	for h != plumbing.ZeroHash {
		info, err := r.Info(h)
		if err != nil {
			return err
		}
		if !fn(info) {
			return nil
		}
		if len(info.Parents) == 0 {
			return nil
		}
		h = info.Parents[0]
	}
	return nil
}
