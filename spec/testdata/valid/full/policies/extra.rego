package ferry.gate

import rego.v1

warn contains "always" if true
