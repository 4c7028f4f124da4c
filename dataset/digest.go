package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Digest returns "sha256:<hex>" of a file's bytes, read as a stream. It is the
// same on every machine for the same bytes (it is what sha256sum prints).
func Digest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("digest dataset: %w", err)
	}
	defer f.Close()
	d, err := DigestReader(f)
	if err != nil {
		return "", fmt.Errorf("digest dataset %s: %w", path, err)
	}
	return d, nil
}

// DigestReader returns "sha256:<hex>" of everything r yields.
func DigestReader(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
