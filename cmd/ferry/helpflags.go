package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// pflag 1.1.0 (required by OPA) renders every boolean flag as "--json[=true|false]".
// flagUsages renders a copy of the flag set whose boolean values do not announce
// themselves as such, which gives the usual "--json" line.
func flagUsages(fs *pflag.FlagSet) string {
	plain := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.VisitAll(func(f *pflag.Flag) {
		c := *f
		c.Value = plainValue{f.Value}
		plain.AddFlag(&c)
	})
	return plain.FlagUsages()
}

// plainValue hides a Value's IsBoolFlag method.
type plainValue struct{ pflag.Value }

func init() { cobra.AddTemplateFunc("flagUsages", flagUsages) }

// fixFlagUsages makes a command's usage template render flags with flagUsages.
func fixFlagUsages(c *cobra.Command) {
	t := c.UsageTemplate()
	t = strings.ReplaceAll(t, ".LocalFlags.FlagUsages", "flagUsages .LocalFlags")
	t = strings.ReplaceAll(t, ".InheritedFlags.FlagUsages", "flagUsages .InheritedFlags")
	c.SetUsageTemplate(t)
}
