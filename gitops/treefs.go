package gitops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// FS returns the tree of a revision as a read-only fs.FS. Nothing is checked
// out: files are read from git objects on demand. The file system also
// implements fs.ReadFileFS and fs.ReadDirFS.
func (r *Repo) FS(rev string) (*TreeFS, error) {
	h, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	return r.FSAt(h)
}

// FSAt is FS for a commit hash.
func (r *Repo) FSAt(h Hash) (*TreeFS, error) {
	c, err := r.commit(h)
	if err != nil {
		return nil, err
	}
	t, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", h, err)
	}
	return &TreeFS{tree: t, commit: h, when: c.Committer.When}, nil
}

// TreeFS is a git tree as an fs.FS.
type TreeFS struct {
	tree   *object.Tree
	commit Hash
	when   time.Time
}

var (
	_ fs.FS         = (*TreeFS)(nil)
	_ fs.ReadFileFS = (*TreeFS)(nil)
	_ fs.ReadDirFS  = (*TreeFS)(nil)
	_ fs.StatFS     = (*TreeFS)(nil)
)

// Commit is the commit the tree belongs to.
func (t *TreeFS) Commit() Hash { return t.commit }

// TreeHash returns the hash of the tree (or subtree) at dir, "" when dir does
// not exist. Two revisions with the same hash for a folder have identical
// contents there, which is how ferry tells that trainer code changed.
func (t *TreeFS) TreeHash(dir string) string {
	if dir == "." || dir == "" {
		return t.tree.Hash.String()
	}
	e, err := t.tree.FindEntry(dir)
	if err != nil {
		return ""
	}
	return e.Hash.String()
}

func (t *TreeFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return &treeDir{info: t.dirInfo("."), fsys: t, name: "."}, nil
	}
	e, err := t.tree.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if e.Mode == filemode.Dir {
		return &treeDir{info: t.dirInfo(name), fsys: t, name: name}, nil
	}
	if !e.Mode.IsFile() {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	data, err := t.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &treeFile{info: fileInfo{name: path.Base(name), size: int64(len(data)), mode: 0o644, mod: t.when}, r: strings.NewReader(string(data))}, nil
}

func (t *TreeFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	f, err := t.tree.File(name)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	rc, err := f.Reader()
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	return data, nil
}

func (t *TreeFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrInvalid}
	}
	tree := t.tree
	if name != "." {
		var err error
		tree, err = t.tree.Tree(name)
		if err != nil {
			return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
		}
	}
	out := make([]fs.DirEntry, 0, len(tree.Entries))
	for _, e := range tree.Entries {
		if e.Mode == filemode.Dir {
			out = append(out, fs.FileInfoToDirEntry(fileInfo{name: e.Name, mode: fs.ModeDir | 0o755, mod: t.when}))
		} else if e.Mode.IsFile() {
			out = append(out, dirEntry{name: e.Name, tree: tree, fsys: t})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

func (t *TreeFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		return t.dirInfo("."), nil
	}
	e, err := t.tree.FindEntry(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	if e.Mode == filemode.Dir {
		return t.dirInfo(name), nil
	}
	size, err := t.tree.Size(name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fileInfo{name: path.Base(name), size: size, mode: 0o644, mod: t.when}, nil
}

func (t *TreeFS) dirInfo(name string) fileInfo {
	return fileInfo{name: path.Base(name), mode: fs.ModeDir | 0o755, mod: t.when}
}

type fileInfo struct {
	name string
	size int64
	mode fs.FileMode
	mod  time.Time
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return fi.mod }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

// dirEntry is a file entry whose size is looked up only when asked for.
type dirEntry struct {
	name string
	tree *object.Tree
	fsys *TreeFS
}

func (d dirEntry) Name() string      { return d.name }
func (d dirEntry) IsDir() bool       { return false }
func (d dirEntry) Type() fs.FileMode { return 0 }
func (d dirEntry) Info() (fs.FileInfo, error) {
	size, err := d.tree.Size(d.name)
	if err != nil {
		return nil, err
	}
	return fileInfo{name: d.name, size: size, mode: 0o644, mod: d.fsys.when}, nil
}

type treeFile struct {
	info fileInfo
	r    *strings.Reader
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *treeFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *treeFile) Close() error               { return nil }

type treeDir struct {
	info    fileInfo
	fsys    *TreeFS
	name    string
	entries []fs.DirEntry
	read    bool
}

func (d *treeDir) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *treeDir) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.name, Err: errors.New("is a directory")}
}
func (d *treeDir) Close() error { return nil }

func (d *treeDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if !d.read {
		es, err := d.fsys.ReadDir(d.name)
		if err != nil {
			return nil, err
		}
		d.entries, d.read = es, true
	}
	if n <= 0 {
		es := d.entries
		d.entries = nil
		return es, nil
	}
	if len(d.entries) == 0 {
		return nil, io.EOF
	}
	if n > len(d.entries) {
		n = len(d.entries)
	}
	es := d.entries[:n]
	d.entries = d.entries[n:]
	return es, nil
}
