package policy

import (
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Removed built-ins, and why. User policies come from pull requests: they may not
// reach the network, read the process's environment, depend on the clock or on
// randomness (a decision must replay to the same verdict from its stored input),
// or allocate without bound (the time limit bounds CPU, nothing bounds memory).
// Without numbers.range a policy's work is polynomial in the input, whose size is
// limited.
var removedBuiltins = []struct{ name, why string }{
	{"http.send", "network"},
	{"net.", "network (DNS); net.cidr_expand can exhaust memory"},
	{"opa.runtime", "exposes the process's environment and configuration"},
	{"providers.aws.sign_req", "signs network requests with credentials"},
	{"time.now_ns", "the clock: decisions must replay to the same verdict"},
	{"rand.intn", "randomness"},
	{"uuid.rfc4122", "randomness"},
	{"io.jwt.", "decode_verify reads the clock, signing is random; no use in a gate"},
	{"crypto.x509.parse_and_verify_certificates", "verification reads the clock"},
	{"numbers.range", "builds the range in memory: unbounded before the time limit"},
}

// RemovedBuiltins lists the built-in functions user policies may not call, each
// with the reason; a name ending in "." stands for every function under it.
func RemovedBuiltins() [][2]string {
	out := make([][2]string, len(removedBuiltins))
	for i, r := range removedBuiltins {
		out[i] = [2]string{r.name, r.why}
	}
	return out
}

func isRemoved(name string) bool {
	for _, r := range removedBuiltins {
		if name == r.name || strings.HasSuffix(r.name, ".") && strings.HasPrefix(name, r.name) ||
			strings.HasPrefix(name, r.name+"_") {
			return true
		}
	}
	return false
}

// Capabilities returns the capabilities every gate module is compiled with: this
// OPA version's built-ins minus the removed ones, and no host allowed for network
// access even if a built-in slipped through.
func Capabilities() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool { return isRemoved(b.Name) })
	c.AllowNet = []string{}
	return c
}
