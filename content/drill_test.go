package content

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDrillBankReadsAndSaysWhereEachFactComesFrom(t *testing.T) {
	b, err := Drill()
	require.NoError(t, err)
	assert.Equal(t, ObservedOn, b.ObservedOn, "drill.yaml and the primer name the same cluster")
	assert.NotEmpty(t, b.Triage)
	assert.NotEmpty(t, b.ExitCodes)
	assert.NotEmpty(t, b.Statuses)
	assert.NotEmpty(t, b.Commands)
	codes := map[int]ExitCodeFact{}
	for _, e := range b.ExitCodes {
		codes[e.Code] = e
	}
	// The facts where runtimes differ name the runtime.
	assert.Contains(t, codes[128].Runtime, "containerd 2.x")
	assert.Contains(t, codes[255].Runtime, "containerd 2.x with runc 1.4")
	assert.Contains(t, codes[255].Runtime, "containerd 1.6 with runc 1.1")
	assert.Contains(t, codes[1].NotWith, 255)
}

func TestLearnPagesEachFactWithItsSource(t *testing.T) {
	pages := Learn()
	require.GreaterOrEqual(t, len(pages), 5)
	for _, p := range pages {
		assert.NotEmpty(t, p.Title)
		assert.NotEmpty(t, p.Text, p.Title)
		assert.NotContains(t, p.Text, "OBSERVED_ON")
	}
	all := ""
	for _, p := range pages {
		all += p.Text
	}
	for _, want := range []string{"observed on " + ObservedOn, "[documented]", "StartError", "exec format error", "143", "137"} {
		assert.Contains(t, all, want)
	}
	assert.True(t, strings.Contains(all, "containerd 1.6") && strings.Contains(all, "runc 1.1"), "the other runtime is named where it differs")
}
