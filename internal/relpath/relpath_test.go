package relpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInside(t *testing.T) {
	for _, tt := range []struct {
		name, clean string
		ok          bool
	}{
		{"pack.yaml", "pack.yaml", true},
		{"quotes/fixes/x.yaml", "quotes/fixes/x.yaml", true},
		{"./quotes/", "quotes", true},
		{"a//b", "a/b", true},
		{"a/../b", "b", true},
		{".", ".", true},
		{"..", "", false},
		{"../x", "", false},
		{"a/../../x", "", false},
		{"/etc/passwd", "", false},
		{`a\..\x`, "", false},
		{"a\x00b", "", false},
	} {
		clean, ok := Inside(tt.name)
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.clean, clean, tt.name)
	}
}
