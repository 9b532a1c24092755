package scenarios

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// commentRe finds a YAML comment: a # at the start of a line or after a blank.
var commentRe = regexp.MustCompile(`(?m)(?:^|\s)#\s*(.+)$`)

// TestRecordKeepsNoAuthorText renders every incident as a start records it
// and looks for each comment of its manifests.yaml: a learner can read the
// record, and the comments explain the failure.
func TestRecordKeepsNoAuthorText(t *testing.T) {
	all, err := Discover()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	v := Values{Image: "example.test/workload:x", ForeignImage: "example.test/workload:y", NodeArch: "amd64"}
	for _, s := range all {
		t.Run(s.ID, func(t *testing.T) {
			raw, err := fs.ReadFile(folders, s.ID+"/manifests.yaml")
			require.NoError(t, err)
			text, err := s.renderText(v)
			require.NoError(t, err)
			assert.NotContains(t, text, "{{", "the template is filled in")
			for _, m := range commentRe.FindAllStringSubmatch(string(raw), -1) {
				c := strings.TrimSpace(m[1])
				if len(c) < 12 { // too short to tell anything, and may be a value
					continue
				}
				assert.NotContains(t, text, c, "the record keeps an author's comment of manifests.yaml")
			}
			b, err := decodeBaseline(s.ID, text, v)
			require.NoError(t, err)
			assert.NotEmpty(t, b.Objects, "the canonical text still decodes to the incident's objects")
		})
	}
}
