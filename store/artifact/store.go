package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob" // gs://BUCKET, with Google application default credentials
	_ "gocloud.dev/blob/memblob" // mem:// for tests and dry runs
	_ "gocloud.dev/blob/s3blob"  // s3://BUCKET?region=..., with the AWS SDK credential chain
	"gocloud.dev/gcerrors"
)

// DefaultURL is where artifacts live when a project names no store.
const DefaultURL = "file://.ferry/artifacts"

// ErrNotFound is returned (wrapped) by Get for a digest the store does not hold.
var ErrNotFound = errors.New("artifact not found")

// Store is a content-addressed blob store. It is safe for concurrent use.
type Store struct {
	bucket *blob.Bucket
	url    string
	dir    string // the folder for file:// stores, "" otherwise
}

// Open opens the store at url. A relative file:// path (or bare path) is
// resolved against root. An empty url means DefaultURL.
func Open(ctx context.Context, url, root string) (*Store, error) {
	if url == "" {
		url = DefaultURL
	}
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		scheme, rest = "file", url
	}
	if scheme != "file" {
		b, err := blob.OpenBucket(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("open artifact store %s: %w", url, err)
		}
		return &Store{bucket: b, url: url}, nil
	}
	dir := filepath.FromSlash(rest)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	// NoTempDir: the temp file sits beside its target so the rename is atomic
	// even when os.TempDir is on another filesystem.
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir: true,
		NoTempDir: true,
		Metadata:  fileblob.MetadataDontWrite,
	})
	if err != nil {
		return nil, fmt.Errorf("open artifact store %s: %w", url, err)
	}
	return &Store{bucket: b, url: "file://" + filepath.ToSlash(dir), dir: dir}, nil
}

// URL is the store's URL, absolute for file stores.
func (s *Store) URL() string { return s.url }

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// Digest returns the digest of data in the store's format, "sha256:<hex>".
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// key maps "sha256:<hex>" to the bucket key "sha256/<hex>".
func key(digest string) (string, error) {
	hexs, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hexs) != sha256.Size*2 {
		return "", fmt.Errorf("bad artifact digest %q (want sha256:<64 hex digits>)", digest)
	}
	if _, err := hex.DecodeString(hexs); err != nil || strings.ToLower(hexs) != hexs {
		return "", fmt.Errorf("bad artifact digest %q (want sha256:<64 lowercase hex digits>)", digest)
	}
	return "sha256/" + hexs, nil
}

// Put stores data and returns its digest. Bytes already stored are not
// written again.
func (s *Store) Put(ctx context.Context, data []byte) (string, error) {
	d := Digest(data)
	k, _ := key(d)
	ok, err := s.bucket.Exists(ctx, k)
	if err != nil {
		return "", fmt.Errorf("put artifact %s: %w", d, err)
	}
	if ok {
		return d, nil
	}
	w, err := s.bucket.NewWriter(ctx, k, &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return "", fmt.Errorf("put artifact %s: %w", d, err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		w.Close()
		return "", fmt.Errorf("put artifact %s: %w", d, err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("put artifact %s: %w", d, err)
	}
	return d, nil
}

// Get returns the bytes of digest, verified against it.
func (s *Store) Get(ctx context.Context, digest string) ([]byte, error) {
	k, err := key(digest)
	if err != nil {
		return nil, err
	}
	data, err := s.bucket.ReadAll(ctx, k)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, fmt.Errorf("get artifact %s from %s: %w", digest, s.url, ErrNotFound)
		}
		return nil, fmt.Errorf("get artifact %s: %w", digest, err)
	}
	if got := Digest(data); got != digest {
		return nil, fmt.Errorf("artifact %s is corrupt: its bytes hash to %s", digest, got)
	}
	return data, nil
}

// Has reports whether the store holds digest.
func (s *Store) Has(ctx context.Context, digest string) (bool, error) {
	k, err := key(digest)
	if err != nil {
		return false, err
	}
	ok, err := s.bucket.Exists(ctx, k)
	if err != nil {
		return false, fmt.Errorf("stat artifact %s: %w", digest, err)
	}
	return ok, nil
}

// Path returns where digest lives: a file path for file stores, the store URL
// joined with the key otherwise. It returns "" for a malformed digest.
func (s *Store) Path(digest string) string {
	k, err := key(digest)
	if err != nil {
		return ""
	}
	if s.dir != "" {
		return filepath.Join(s.dir, filepath.FromSlash(k))
	}
	return strings.TrimSuffix(s.url, "/") + "/" + k
}

// LocalPath returns the file path of digest when the store is a folder and the
// artifact is there; ok is false otherwise. Runners that need a file (onnxruntime
// can load from a path) use it to avoid a copy.
func (s *Store) LocalPath(digest string) (path string, ok bool) {
	if s.dir == "" {
		return "", false
	}
	p := s.Path(digest)
	if p == "" {
		return "", false
	}
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}
