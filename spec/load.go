package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// MaxFileSize caps a YAML file's size. Specs are small; a bigger .yaml file in the
// tree is reported rather than read.
const MaxFileSize = 10 << 20

// skipDirs are folders Load never enters.
var skipDirs = map[string]bool{".git": true, ".ferry": true, "node_modules": true}

// ProjectFile is the file holding the Project, at the root of the tree.
const ProjectFile = "ferry.yaml"

// LoadDir loads the specs under dir; error positions are relative to dir.
func LoadDir(dir string) (*Set, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("load specs: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("load specs: %s is not a folder", dir)
	}
	return Load(os.DirFS(dir))
}

// FindRoot returns the nearest folder at or above dir that holds ferry.yaml.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find project root: %w", err)
	}
	for d := abs; ; {
		if info, err := os.Stat(filepath.Join(d, ProjectFile)); err == nil && !info.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no %s in %s or any parent folder (ferry init creates one)", ProjectFile, abs)
		}
		d = parent
	}
}

// Load reads every ferry document of the tree fsys and checks it. Problems come back
// as an ErrorList sorted by file, line and column; the Set returned with it holds
// what could be decoded (useful for counting, never for acting on).
func Load(fsys fs.FS) (*Set, error) {
	l := &loader{fsys: fsys, set: &Set{}}
	l.walk()
	l.assemble()
	applyDefaults(l.set)
	check(l.set, fsys, &l.errs)
	l.set.sortByName()
	l.errs.Sort()
	return l.set, l.errs.Err()
}

type loader struct {
	fsys fs.FS
	set  *Set
	errs ErrorList
	objs []object
	docs int // ferry documents seen, decodable or not
}

// object is a decoded document before it is placed in the Set.
type object struct {
	kind Kind
	name string
	obj  any
	src  Source // the document
	at   Source // metadata.name
}

// recordsDir returns the records folder the tree's ferry.yaml names (or the
// default), which Load skips: ferry writes a file there per run and per version, so
// it grows without bound and holds no specs. It returns "" when there is none to skip.
func recordsDir(fsys fs.FS) string {
	dir := DefaultRecords
	if data, err := readFile(fsys, ProjectFile); err == nil {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Records string `yaml:"records"`
			} `yaml:"spec"`
		}
		// Best effort: a broken ferry.yaml is reported by the walk.
		if yaml.Unmarshal(data, &doc) == nil && doc.Kind == string(KindProject) && doc.Spec.Records != "" {
			dir = doc.Spec.Records
		}
	}
	dir = path.Clean(dir)
	if !fs.ValidPath(dir) || dir == "." {
		return ""
	}
	return dir
}

func (l *loader) walk() {
	var files []string
	records := recordsDir(l.fsys)
	err := fs.WalkDir(l.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			l.errs.Add(Source{File: p}, "cannot read: %v", unwrapPath(err))
			return nil
		}
		if d.IsDir() {
			if p != "." && (skipDirs[d.Name()] || p == records) {
				return fs.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(path.Ext(p))
		if (ext != ".yaml" && ext != ".yml") || !d.Type().IsRegular() {
			return nil
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		l.errs.Add(Source{}, "cannot read the tree: %v", err)
		return
	}
	// Parsing dominates, and documents are independent: files are parsed in
	// parallel and merged in walk order, which keeps the result deterministic. The
	// tree itself is read from this goroutine only, since an fs.FS (a git tree, say)
	// need not be safe for concurrent use.
	type job struct {
		i    int
		data []byte
		err  error
	}
	results := make([]fileResult, len(files))
	workers := min(runtime.GOMAXPROCS(0), 8, len(files))
	jobs := make(chan job, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results[j.i].parseFile(files[j.i], j.data, j.err)
			}
		}()
	}
	for i, p := range files {
		data, err := readFile(l.fsys, p)
		jobs <- job{i, data, err}
	}
	close(jobs)
	wg.Wait()
	for _, r := range results {
		l.errs = append(l.errs, r.errs...)
		l.docs += r.docs
		for _, d := range r.decoded {
			l.add(d)
		}
	}
}

// fileResult is what reading one file gave: its errors and decoded documents.
type fileResult struct {
	errs    ErrorList
	docs    int // ferry documents seen, decodable or not
	decoded []decoded
}

// decoded is one decoded document, before it is placed in the Set.
type decoded struct {
	kind Kind
	obj  any
	src  Source
	dec  *decoder
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// marker is how a file that fails to parse is recognised as ferry's: other YAML that
// fails to parse (templates, say) is not ferry's business.
var marker = []byte("ferry.dev/")

func (r *fileResult) parseFile(p string, data []byte, err error) {
	if err != nil {
		r.errs.Add(Source{File: p}, "%v", err)
		return
	}
	// A file that never mentions ferry.dev/ cannot hold a ferry document (its
	// apiVersion would), so other YAML costs no parsing.
	if !bytes.Contains(data, marker) {
		return
	}
	if !utf8.Valid(data) {
		line, col := invalidUTF8(data)
		r.errs.Add(Source{File: p, Line: line, Column: col}, "file is not valid UTF-8")
		return
	}
	r.parse(p, data)
}

func readFile(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", unwrapPath(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v", unwrapPath(err))
	}
	if len(data) > MaxFileSize {
		size := "over 10"
		if info, err := f.Stat(); err == nil {
			size = strconv.FormatInt(info.Size()>>20, 10)
		}
		return nil, fmt.Errorf("file is %s MB, over the %d MB limit for YAML files (ferry reads every .yaml and .yml file in the repository)", size, MaxFileSize>>20)
	}
	return data, nil
}

// invalidUTF8 returns the 1-based line and column of the first invalid byte.
func invalidUTF8(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 0
		}
		col++
		data = data[size:]
	}
	return line, col
}

// parse decodes each document of a file. yaml.v3 stops at the first syntax error, so
// documents after it are not seen; those before it are kept.
func (r *fileResult) parse(p string, data []byte) {
	// Most spec files hold one document; yaml.Unmarshal parses from the bytes
	// directly, which is cheaper than a Decoder's reader.
	if !bytes.Contains(data, []byte("---")) && !bytes.Contains(data, []byte("...")) {
		var doc yaml.Node
		if err := unmarshalNode(data, &doc); err != nil {
			r.errs = append(r.errs, syntaxError(p, data, err))
			return
		}
		r.document(p, &doc)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := decodeNode(dec, &doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			r.errs = append(r.errs, syntaxError(p, data, err))
			return
		}
		r.document(p, &doc)
	}
}

// unmarshalNode parses a single-document file, turning a parser panic into an error.
func unmarshalNode(data []byte, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse (%v)", r)
		}
	}()
	return yaml.Unmarshal(data, doc)
}

// decodeNode parses one document, turning a parser panic into an error: bad input
// must never crash ferry.
func decodeNode(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse (%v)", r)
		}
	}()
	return dec.Decode(doc)
}

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// parserProblems are the messages of yaml.v3's parser (as opposed to its scanner).
// yaml.v3 reports their lines 0-based, and at the start of the broken construct.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"did not find expected node content", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError turns a yaml.v3 parse error into an Error at its line, with a clearer
// message for the most common cause, a tab in the indentation.
func syntaxError(p string, data []byte, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: p, Line: 1, Col: 1, Msg: "invalid YAML: " + msg}
	lines := bytes.Split(data, []byte("\n"))
	if m := unknownAnchor.FindStringSubmatch(err.Error()); m != nil {
		for i, text := range lines {
			if j := bytes.Index(text, []byte("*"+m[1])); j >= 0 {
				e.Line, e.Col = i+1, j+1
				break
			}
		}
		return e
	}
	m := yamlLine.FindStringSubmatch(err.Error())
	if m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = "invalid YAML: " + m[2]
		if contains(parserProblems, m[2]) {
			e.Line++
		}
	} else if contains(parserProblems, msg) {
		e.Line = 1
	}
	if e.Line > len(lines) {
		e.Line = len(lines)
	}
	// A tab in the indentation is the usual cause; yaml.v3 may report the line after.
	for _, ln := range []int{e.Line, e.Line - 1} {
		if ln < 1 || ln > len(lines) {
			continue
		}
		text := lines[ln-1]
		indent := len(text) - len(bytes.TrimLeft(text, " \t"))
		if i := bytes.IndexByte(text[:indent], '\t'); i >= 0 {
			e.Line, e.Col = ln, i+1
			e.Msg = "invalid YAML: tab in indentation (YAML indents with spaces only)"
			return e
		}
	}
	if e.Line >= 1 {
		text := lines[e.Line-1]
		e.Col = len(text) - len(bytes.TrimLeft(text, " ")) + 1
		// An unclosed flow collection: point at its opening bracket.
		for _, b := range []struct{ close, open string }{{"'}'", "{"}, {"']'", "["}} {
			if i := bytes.Index(text, []byte(b.open)); strings.HasSuffix(e.Msg, b.close) && i >= 0 {
				e.Col = i + 1
			}
		}
	}
	return e
}

// newObject returns a pointer to a new object of kind k.
func newObject(k Kind) any {
	switch k {
	case KindProject:
		return &Project{}
	case KindDataset:
		return &Dataset{}
	case KindModel:
		return &Model{}
	case KindExperiment:
		return &Experiment{}
	case KindDeployment:
		return &Deployment{}
	case KindMonitor:
		return &Monitor{}
	}
	return nil
}

func (r *fileResult) document(p string, doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return
	}
	var apiVersion, kind *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		switch root.Content[i].Value {
		case "apiVersion":
			apiVersion = root.Content[i+1]
		case "kind":
			kind = root.Content[i+1]
		}
	}
	if apiVersion == nil || apiVersion.Kind != yaml.ScalarNode || !strings.HasPrefix(apiVersion.Value, string(marker)) {
		return
	}
	r.docs++
	at := func(n *yaml.Node) Source { return Source{File: p, Line: n.Line, Column: n.Column} }
	if apiVersion.Value != APIVersion {
		r.errs.Add(at(apiVersion), "apiVersion: unsupported version %q (want %s)", apiVersion.Value, APIVersion)
		return
	}
	if kind == nil {
		r.errs.Add(at(root), "missing required field \"kind\" (want %s)", strings.Join(kindNames(), ", "))
		return
	}
	k := Kind(kind.Value)
	obj := newObject(k)
	if kind.Kind != yaml.ScalarNode || obj == nil {
		r.errs.Add(at(kind), "kind: unknown kind %s%s (want %s)", describe(kind), suggest(kind.Value, kindNames()), strings.Join(kindNames(), ", "))
		return
	}
	d := newDecoder(p, &r.errs)
	d.structure(root, reflect.ValueOf(obj).Elem(), "", 0, []string{"apiVersion", "kind"})
	src := at(root)
	reflect.ValueOf(obj).Elem().FieldByName("Source").Set(reflect.ValueOf(src))
	r.decoded = append(r.decoded, decoded{kind: k, obj: obj, src: src, dec: d})
}

// add records a decoded document's positions and queues it for assemble.
func (l *loader) add(d decoded) {
	l.set.record(d.obj, d.src, d.dec)
	name := reflect.ValueOf(d.obj).Elem().FieldByName("Metadata").Interface().(Metadata).Name
	l.objs = append(l.objs, object{kind: d.kind, name: name, obj: d.obj, src: d.src, at: l.set.Pos(d.obj, "metadata.name")})
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// assemble places decoded objects into the Set, checking names, duplicates and the
// one Project.
func (l *loader) assemble() {
	if l.docs == 0 && len(l.errs) == 0 {
		l.errs.Add(Source{}, "no ferry documents (apiVersion: %s) found: a project needs %s with kind: Project at its root (ferry init creates one)", APIVersion, ProjectFile)
		return
	}
	first := map[Kind]map[string]object{}
	var projects []object
	for _, o := range l.objs {
		if o.name != "" && !l.set.failed(o.obj, "metadata.name") {
			if len(o.name) > 63 || !nameRE.MatchString(o.name) {
				l.errs.Add(o.at, "metadata.name: invalid name %q (want lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)", o.name)
			}
		}
		if first[o.kind] == nil {
			first[o.kind] = map[string]object{}
		}
		if prev, dup := first[o.kind][o.name]; dup && o.name != "" {
			l.errs.Add(o.at, "duplicate %s %q (also defined at %s)", o.kind, o.name, prev.at)
			l.errs.Add(prev.at, "duplicate %s %q (also defined at %s)", o.kind, o.name, o.at)
			continue
		}
		first[o.kind][o.name] = o
		switch v := o.obj.(type) {
		case *Project:
			projects = append(projects, o)
			if o.src.File != ProjectFile {
				l.errs.Add(o.src, "the Project belongs in %s at the repository root", ProjectFile)
			}
			if l.set.Project == nil {
				l.set.Project = v
			} else {
				l.errs.Add(o.src, "a second Project (the first is at %s); a repository has exactly one", l.set.Project.Source)
			}
		case *Dataset:
			l.set.Datasets = append(l.set.Datasets, v)
		case *Model:
			l.set.Models = append(l.set.Models, v)
		case *Experiment:
			l.set.Experiments = append(l.set.Experiments, v)
		case *Deployment:
			l.set.Deployments = append(l.set.Deployments, v)
		case *Monitor:
			l.set.Monitors = append(l.set.Monitors, v)
		}
	}
	if len(projects) == 0 && l.docs > 0 {
		l.errs.Add(Source{File: ProjectFile}, "no Project: the repository root needs %s with kind: Project (ferry init creates one)", ProjectFile)
	}
}

func (s *Set) sortByName() {
	sort.Slice(s.Datasets, func(i, j int) bool { return s.Datasets[i].Metadata.Name < s.Datasets[j].Metadata.Name })
	sort.Slice(s.Models, func(i, j int) bool { return s.Models[i].Metadata.Name < s.Models[j].Metadata.Name })
	sort.Slice(s.Experiments, func(i, j int) bool { return s.Experiments[i].Metadata.Name < s.Experiments[j].Metadata.Name })
	sort.Slice(s.Deployments, func(i, j int) bool { return s.Deployments[i].Metadata.Name < s.Deployments[j].Metadata.Name })
	sort.Slice(s.Monitors, func(i, j int) bool { return s.Monitors[i].Metadata.Name < s.Monitors[j].Metadata.Name })
}
