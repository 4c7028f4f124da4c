// Package version holds ferry's version, set at build time with
// -ldflags "-X github.com/ferryml/ferry/internal/version.Version=...".
package version

import "runtime/debug"

// Version is ferry's release version, or "dev" for an untagged build.
var Version = "dev"

// String returns the version, falling back to the module version the binary was
// built from when no -ldflags value was given.
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return Version
}
