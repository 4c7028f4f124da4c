package gitops

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Signature is a commit author.
type Signature struct {
	Name  string
	Email string
}

// DefaultAuthor signs ferry's commits when the project names no author.
var DefaultAuthor = Signature{Name: "ferry", Email: "ferry@users.noreply.github.com"}

// ParseSignature parses "Name <email>".
func ParseSignature(s string) (Signature, error) {
	name, rest, ok := strings.Cut(s, "<")
	email, _, ok2 := strings.Cut(rest, ">")
	if !ok || !ok2 || strings.TrimSpace(name) == "" || !strings.Contains(email, "@") {
		return Signature{}, fmt.Errorf("bad author %q (want \"Name <email>\")", s)
	}
	return Signature{Name: strings.TrimSpace(name), Email: strings.TrimSpace(email)}, nil
}

// Changeset is what a commit changes: files to write (slash paths relative to
// the repository root) and paths to delete.
type Changeset struct {
	Files   map[string][]byte
	Deletes []string
	Message string
}

// Empty reports whether the changeset changes nothing.
func (c *Changeset) Empty() bool { return c == nil || len(c.Files) == 0 && len(c.Deletes) == 0 }

// Paths lists every path the changeset touches, sorted.
func (c *Changeset) Paths() []string {
	var ps []string
	for p := range c.Files {
		ps = append(ps, p)
	}
	ps = append(ps, c.Deletes...)
	sort.Strings(ps)
	return ps
}

// CommitOptions are the author and time of a commit.
type CommitOptions struct {
	Author Signature
	// When defaults to the current time.
	When time.Time
}

// Commit writes a commit whose parent is parent (zero for a root commit) and
// whose tree is parent's with cs applied. It returns the zero hash and no error
// when cs leaves the tree unchanged, so an apply that has nothing new to
// record makes no commit. No reference is moved.
func (r *Repo) Commit(parent Hash, cs *Changeset, opts CommitOptions) (Hash, error) {
	var base Hash
	var parents []Hash
	if !parent.IsZero() {
		c, err := r.commit(parent)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		base, parents = c.TreeHash, []Hash{parent}
	}
	if cs.Empty() {
		return plumbing.ZeroHash, nil
	}
	changes := map[string]*[]byte{}
	for p, data := range cs.Files {
		if !validPath(p) {
			return plumbing.ZeroHash, fmt.Errorf("commit: bad path %q", p)
		}
		data := data
		changes[p] = &data
	}
	for _, p := range cs.Deletes {
		if !validPath(p) {
			return plumbing.ZeroHash, fmt.Errorf("commit: bad path %q", p)
		}
		if _, ok := changes[p]; ok {
			return plumbing.ZeroHash, fmt.Errorf("commit: %s is both written and deleted", p)
		}
		changes[p] = nil
	}
	tree, err := r.applyTree(base, changes)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("commit: %w", err)
	}
	if tree == base {
		return plumbing.ZeroHash, nil
	}
	if tree.IsZero() {
		if tree, err = r.writeTree(nil); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	author := opts.Author
	if author.Name == "" {
		author = DefaultAuthor
	}
	when := opts.When
	if when.IsZero() {
		when = time.Now()
	}
	sig := object.Signature{Name: author.Name, Email: author.Email, When: when}
	c := &object.Commit{Author: sig, Committer: sig, Message: cs.Message, TreeHash: tree, ParentHashes: parents}
	obj := r.repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write commit: %w", err)
	}
	return h, nil
}

func validPath(p string) bool {
	return p != "" && p != "." && path.Clean(p) == p && !strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "../") && p != ".." && !strings.Contains(p, "\\")
}

// applyTree returns the hash of tree base with changes applied (a nil value
// deletes). The zero hash stands for an empty tree, so empty folders vanish.
func (r *Repo) applyTree(base Hash, changes map[string]*[]byte) (Hash, error) {
	var entries []object.TreeEntry
	if !base.IsZero() {
		t, err := object.GetTree(r.repo.Storer, base)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("read tree %s: %w", base, err)
		}
		entries = append(entries, t.Entries...)
	}
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name] = i
	}
	// Group changes by their first path element.
	sub := map[string]map[string]*[]byte{}
	changed := false
	for p, data := range changes {
		first, rest, nested := strings.Cut(p, "/")
		if nested {
			if sub[first] == nil {
				sub[first] = map[string]*[]byte{}
			}
			sub[first][rest] = data
			continue
		}
		i, exists := index[first]
		if data == nil {
			if exists {
				entries[i].Name = "" // removed below
				changed = true
			}
			continue
		}
		h, err := r.writeBlob(*data)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if exists {
			if entries[i].Hash != h || entries[i].Mode != filemode.Regular {
				entries[i] = object.TreeEntry{Name: first, Mode: filemode.Regular, Hash: h}
				changed = true
			}
			continue
		}
		index[first] = len(entries)
		entries = append(entries, object.TreeEntry{Name: first, Mode: filemode.Regular, Hash: h})
		changed = true
	}
	for dir, ch := range sub {
		var old Hash
		i, exists := index[dir]
		if exists && entries[i].Name != "" {
			if entries[i].Mode != filemode.Dir {
				return plumbing.ZeroHash, fmt.Errorf("%s is a file, not a folder", dir)
			}
			old = entries[i].Hash
		}
		h, err := r.applyTree(old, ch)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if h == old {
			continue
		}
		changed = true
		switch {
		case h.IsZero() && exists:
			entries[i].Name = ""
		case h.IsZero():
		case exists:
			entries[i] = object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h}
		default:
			index[dir] = len(entries)
			entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
		}
	}
	if !changed {
		return base, nil
	}
	kept := entries[:0]
	for _, e := range entries {
		if e.Name != "" {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return plumbing.ZeroHash, nil
	}
	return r.writeTree(kept)
}

// writeTree stores a tree with entries in git's order (folders sort as if
// their name ended in "/").
func (r *Repo) writeTree(entries []object.TreeEntry) (Hash, error) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	t := &object.Tree{Entries: entries}
	obj := r.repo.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode tree: %w", err)
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write tree: %w", err)
	}
	return h, nil
}

func (r *Repo) writeBlob(data []byte) (Hash, error) {
	obj := r.repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	h, err := r.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("write blob: %w", err)
	}
	return h, nil
}

// Changed lists the paths whose contents differ between revisions from and to
// (added, modified or deleted), sorted.
func (r *Repo) Changed(from, to string) ([]string, error) {
	fh, err := r.Resolve(from)
	if err != nil {
		return nil, err
	}
	th, err := r.Resolve(to)
	if err != nil {
		return nil, err
	}
	return r.ChangedBetween(fh, th)
}

// ChangedBetween is Changed for commit hashes.
func (r *Repo) ChangedBetween(from, to Hash) ([]string, error) {
	trees := [2]*object.Tree{}
	for i, h := range []Hash{from, to} {
		c, err := r.commit(h)
		if err != nil {
			return nil, err
		}
		if trees[i], err = c.Tree(); err != nil {
			return nil, fmt.Errorf("read tree of %s: %w", h, err)
		}
	}
	changes, err := object.DiffTree(trees[0], trees[1])
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", from, to, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, ch := range changes {
		for _, name := range []string{ch.From.Name, ch.To.Name} {
			if name != "" && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
