package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

// Fetcher copies objects named by URL — s3://BUCKET/KEY, gs://BUCKET/KEY,
// file:///ABS/PATH (file://REL/PATH against the root), http(s)://… — into a
// local cache folder, so readers that want a file get one, and says their
// content digest. An object whose version (ETag, else size and modification
// time) is the one fetched last is not downloaded again.
type Fetcher struct {
	// Root resolves relative file:// URLs; Dir is the cache folder.
	Root, Dir string
	// Client fetches http(s) URLs (default http.DefaultClient).
	Client *http.Client

	mu sync.Mutex
}

// Fetched is one object in the cache.
type Fetched struct {
	// Path is the local copy, named by its digest, with the URL's extension.
	Path string
	// Digest is "sha256:<hex>" of the bytes.
	Digest string
}

type fetchIndex map[string]fetchEntry

type fetchEntry struct {
	Version string `json:"version"`
	Digest  string `json:"digest"`
	File    string `json:"file"`
}

// Fetch returns the local copy of the object at rawURL, downloading it when
// the cache does not hold its current version.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (*Fetched, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	var src source
	switch u.Scheme {
	case "http", "https":
		src = &httpSource{url: rawURL, client: f.Client}
	case "file", "s3", "gs":
		if src, err = f.blobSource(ctx, u); err != nil {
			return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
		}
	case "mem":
		return nil, fmt.Errorf("fetch %s: a mem:// bucket holds nothing across processes; use file://, s3:// or gs://", rawURL)
	default:
		return nil, fmt.Errorf("fetch %s: unsupported scheme %q (want s3, gs, file, http or https)", rawURL, u.Scheme)
	}
	defer src.close()
	version, err := src.version(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	index := f.readIndex()
	if e, ok := index[rawURL]; ok && version != "" && e.Version == version {
		p := filepath.Join(f.Dir, e.File)
		if _, err := os.Stat(p); err == nil {
			return &Fetched{Path: p, Digest: e.Digest}, nil
		}
	}
	r, err := src.open(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(f.Dir, ".fetch-*")
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, h), r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	hexs := hex.EncodeToString(h.Sum(nil))
	name := hexs + path.Ext(u.Path)
	if err := os.Rename(tmp.Name(), filepath.Join(f.Dir, name)); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	out := &Fetched{Path: filepath.Join(f.Dir, name), Digest: "sha256:" + hexs}
	if version != "" {
		index[rawURL] = fetchEntry{Version: version, Digest: out.Digest, File: name}
		f.writeIndex(index) // an index that cannot be written only costs a download
	}
	return out, nil
}

func (f *Fetcher) readIndex() fetchIndex {
	idx := fetchIndex{}
	if b, err := os.ReadFile(filepath.Join(f.Dir, "index.json")); err == nil {
		_ = json.Unmarshal(b, &idx) // a broken index is an empty one
	}
	return idx
}

func (f *Fetcher) writeIndex(idx fetchIndex) {
	b, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return
	}
	tmp := filepath.Join(f.Dir, ".index.json.tmp")
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, filepath.Join(f.Dir, "index.json"))
	}
}

// source is one remote object.
type source interface {
	// version identifies the object's current content without reading it
	// ("" when the source cannot tell).
	version(ctx context.Context) (string, error)
	open(ctx context.Context) (io.ReadCloser, error)
	close()
}

// blobSource opens the bucket holding the object: s3://B/K → bucket s3://B
// (query kept), key K; file:///D/K → bucket file:///D, key K.
func (f *Fetcher) blobSource(ctx context.Context, u *url.URL) (source, error) {
	var b *blob.Bucket
	var key string
	var err error
	if u.Scheme == "file" {
		p := filepath.FromSlash(u.Host + u.Path) // file://rel/x: host "rel"
		if u.Host == "" {
			p = filepath.FromSlash(u.Path)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(f.Root, p)
		}
		key = filepath.Base(p)
		b, err = fileblob.OpenBucket(filepath.Dir(p), &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
	} else {
		key = strings.TrimPrefix(u.Path, "/")
		if key == "" {
			return nil, errors.New("the URL names a bucket, not an object")
		}
		bu := *u
		bu.Path = ""
		b, err = blob.OpenBucket(ctx, bu.String())
	}
	if err != nil {
		return nil, err
	}
	return &bucketSource{b: b, key: key}, nil
}

type bucketSource struct {
	b   *blob.Bucket
	key string
}

func (s *bucketSource) version(ctx context.Context) (string, error) {
	a, err := s.b.Attributes(ctx, s.key)
	if err != nil {
		return "", err
	}
	if a.ETag != "" {
		return a.ETag, nil
	}
	return fmt.Sprintf("%d@%s", a.Size, a.ModTime.UTC().Format("2006-01-02T15:04:05.000000000Z")), nil
}

func (s *bucketSource) open(ctx context.Context) (io.ReadCloser, error) {
	return s.b.NewReader(ctx, s.key, nil)
}

func (s *bucketSource) close() { s.b.Close() }

type httpSource struct {
	url    string
	client *http.Client
}

func (s *httpSource) do(ctx context.Context, method string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.url, nil)
	if err != nil {
		return nil, err
	}
	c := s.client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s", method, s.url, resp.Status)
	}
	return resp, nil
}

func (s *httpSource) version(ctx context.Context) (string, error) {
	resp, err := s.do(ctx, http.MethodHead)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if e := resp.Header.Get("ETag"); e != "" {
		return e, nil
	}
	if lm := resp.Header.Get("Last-Modified"); lm != "" && resp.ContentLength >= 0 {
		return fmt.Sprintf("%d@%s", resp.ContentLength, lm), nil
	}
	return "", nil // cannot tell: always download
}

func (s *httpSource) open(ctx context.Context) (io.ReadCloser, error) {
	resp, err := s.do(ctx, http.MethodGet)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

func (s *httpSource) close() {}
