package records

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Cache keeps decoded records as JSON, keyed by the sha256 of their YAML
// bytes. YAML parsing dominates reading thousands of records; a record whose
// bytes did not change is decoded from the cache instead. A stale or broken
// cache costs a re-parse, never a wrong record: the key is the content.
type Cache struct {
	path string
	mu   sync.Mutex
	old  map[string]json.RawMessage
	used map[string]json.RawMessage
}

// OpenCache loads the cache file at path; a missing or unreadable file is
// an empty cache.
func OpenCache(path string) *Cache {
	c := &Cache{path: path, old: map[string]json.RawMessage{}, used: map[string]json.RawMessage{}}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &c.old)
	}
	return c
}

func cacheKey(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}

// decode fills rec from data, through the cache when it has the bytes.
func (c *Cache) decode(data []byte, rec any) error {
	if c == nil {
		return Unmarshal(data, rec)
	}
	k := cacheKey(data)
	c.mu.Lock()
	raw, ok := c.used[k]
	if !ok {
		raw, ok = c.old[k]
	}
	c.mu.Unlock()
	if ok && json.Unmarshal(raw, rec) == nil {
		c.mu.Lock()
		c.used[k] = raw
		c.mu.Unlock()
		return nil
	}
	if err := Unmarshal(data, rec); err != nil {
		return err
	}
	if raw, err := json.Marshal(rec); err == nil {
		c.mu.Lock()
		c.used[k] = raw
		c.mu.Unlock()
	}
	return nil
}

// Save writes the entries used since OpenCache (others are dropped, so the
// cache does not grow without bound), atomically.
func (c *Cache) Save() error {
	c.mu.Lock()
	b, err := json.Marshal(c.used)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("save records cache: %w", err)
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("save records cache: %w", err)
	}
	return os.Rename(tmp, c.path)
}
