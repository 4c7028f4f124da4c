package policy

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// builtinFS holds the default policy and its tests.
//
//go:embed rego
var builtinFS embed.FS

// builtinPrefix names the default policy's modules in decisions and errors.
const builtinPrefix = "builtin/"

// Module is one policy file a decision was made with.
type Module struct {
	// Path is the file's path in the FS it was read from; the default policy's
	// files are named builtin/<file>.
	Path string `json:"path"`
	// Digest is "sha256:<hex>" of the file's bytes.
	Digest string `json:"digest"`
}

type source struct {
	Module
	data []byte
}

func newSource(p string, data []byte) source {
	sum := sha256.Sum256(data)
	return source{Module: Module{Path: p, Digest: "sha256:" + hex.EncodeToString(sum[:])}, data: data}
}

// builtinSources returns the default policy's modules; tests too when withTests.
func builtinSources(withTests bool) ([]source, error) {
	sub, err := fs.Sub(builtinFS, "rego")
	if err != nil {
		return nil, err
	}
	files, err := regoFiles(sub, ".", withTests)
	if err != nil {
		return nil, err
	}
	out := make([]source, 0, len(files))
	for _, f := range files {
		data, err := fs.ReadFile(sub, f)
		if err != nil {
			return nil, err
		}
		out = append(out, newSource(builtinPrefix+f, data))
	}
	return out, nil
}

// readSources reads the Rego files named by paths from fsys. A path is a file or
// a folder; folders are walked for *.rego files, skipping *_test.rego unless
// withTests. Paths are slash-separated and relative to fsys's root ("./x" is
// "x"); a nil fsys reads operating-system paths. Files are returned once each, sorted by path.
func readSources(fsys fs.FS, paths []string, withTests bool) ([]source, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	_, native := fsys.(osFS)
	if fsys == nil {
		fsys, native = osFS{}, true
	}
	seen := map[string]bool{}
	var out []source
	for _, p := range paths {
		clean := path.Clean(p)
		if !native && !fs.ValidPath(clean) {
			return nil, fmt.Errorf("read policies: %s: not a path inside the repository", p)
		}
		info, err := fs.Stat(fsys, clean)
		if err != nil {
			return nil, fmt.Errorf("read policies: %w", unwrapPathError(err, p))
		}
		var files []string
		if info.IsDir() {
			if files, err = regoFiles(fsys, clean, withTests); err != nil {
				return nil, fmt.Errorf("read policies: %w", err)
			}
		} else {
			files = []string{clean}
		}
		for _, f := range files {
			if seen[f] {
				continue
			}
			seen[f] = true
			data, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, fmt.Errorf("read policies: %w", err)
			}
			out = append(out, newSource(f, data))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// PoliciesDigest is the sha256 of the user policies paths name in fsys, as
// a gate loads them (*_test.rego left out): their paths and contents. A gate
// decision depends on them besides its input and the embedded default
// policy, so a plan re-gates when it changes. No paths: "".
func PoliciesDigest(fsys fs.FS, paths []string) (string, error) {
	if len(paths) == 0 {
		return "", nil
	}
	srcs, err := readSources(fsys, paths, false)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, s := range srcs {
		fmt.Fprintf(h, "%s\x00%s\n", s.Path, s.Digest)
	}
	return fmt.Sprintf("sha256:%x", h.Sum(nil)), nil
}

// osFS reads operating-system paths as they are written, relative ones against
// the working directory, so errors name files the way the user did.
type osFS struct{}

func (osFS) Open(name string) (fs.File, error) { return os.Open(filepath.FromSlash(name)) }

// regoFiles lists the *.rego files under dir, sorted.
func regoFiles(fsys fs.FS, dir string, withTests bool) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".rego") || !withTests && strings.HasSuffix(p, "_test.rego") {
			return nil
		}
		files = append(files, p)
		return nil
	})
	sort.Strings(files)
	return files, err
}

// unwrapPathError reports a missing path as the user wrote it.
func unwrapPathError(err error, p string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", p, pe.Err)
	}
	return err
}
