// Package schemas holds the JSON Schemas (draft 2020-12) of the files a
// trainer writes: scenario.yaml, pack.yaml, a fixes/ file and
// diagnosis.yaml. Editors read them through the yaml-language-server
// modeline to complete and check those files as they are typed.
//
// The *.schema.json files are generated from the Go types the lab decodes
// the files into, by the tests of this package: `go test ./schemas -update`
// rewrites them, and TestSchemasAreCurrent fails when they are out of date.
// The package has no Go API.
package schemas
