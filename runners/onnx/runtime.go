package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryEnv names the environment variable that points at onnxruntime's shared library.
const LibraryEnv = "ONNXRUNTIME_SHARED_LIBRARY_PATH"

// cacheLibrary is where `make onnxruntime` (scripts/onnxruntime.sh) installs the
// library, relative to the home folder.
const cacheLibrary = ".cache/ferry/onnxruntime-1.30.0/libonnxruntime.so.1"

// DefaultLibraryPath returns the onnxruntime shared library to load: the value of
// ONNXRUNTIME_SHARED_LIBRARY_PATH, else the library `make onnxruntime` installs under
// $HOME/.cache/ferry when it exists, else "".
func DefaultLibraryPath(getenv func(string) string) string {
	if p := getenv(LibraryEnv); p != "" {
		return p
	}
	if home := getenv("HOME"); home != "" {
		p := filepath.Join(home, cacheLibrary)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

var (
	initMu   sync.Mutex
	initPath string
)

// ErrNoRuntime is wrapped by Init's error when the onnxruntime library is missing.
var ErrNoRuntime = errors.New("onnxruntime library not found")

const installHint = "install it with `make onnxruntime` and set " + LibraryEnv + " to the path it prints"

// Init loads the onnxruntime shared library at libraryPath and creates the
// process-wide onnxruntime environment. It is idempotent: once it has succeeded,
// later calls return nil whatever their path. A failed Init may be retried.
func Init(libraryPath string) error {
	initMu.Lock()
	defer initMu.Unlock()
	if ort.IsInitialized() {
		return nil
	}
	if libraryPath == "" {
		return fmt.Errorf("%w: %s", ErrNoRuntime, installHint)
	}
	if _, err := os.Stat(libraryPath); err != nil {
		return fmt.Errorf("%w at %s: %s", ErrNoRuntime, libraryPath, installHint)
	}
	ort.SetSharedLibraryPath(libraryPath)
	// onnxruntime returns its errors to us; at any lower level it would also print them.
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return fmt.Errorf("load onnxruntime %s: %w (%s)", libraryPath, err, installHint)
	}
	initPath = libraryPath
	return nil
}

// errNotInit is returned by Load when Init has not succeeded.
var errNotInit = fmt.Errorf("onnxruntime is not initialized: call onnx.Init first (%s)", installHint)
