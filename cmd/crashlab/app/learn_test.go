package app

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/internal/syncbuf"
)

func TestLearnPrintsEveryPagePlainWithoutATerminal(t *testing.T) {
	code, out, _ := run(t, "learn")
	require.Equal(t, 0, code)
	pages := content.Learn()
	for i, p := range pages {
		assert.Contains(t, out, p.Title)
		if i > 0 {
			assert.Greater(t, strings.Index(out, p.Title), strings.Index(out, pages[i-1].Title), "in order")
		}
	}
	assert.NotContains(t, out, "\x1b")
	assert.Contains(t, out, "observed on "+content.ObservedOn)

	code, out, _ = run(t, "learn", "--page", "3")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, pages[1].Title)
	assert.Contains(t, out, pages[2].Title)

	code, _, stderr := run(t, "learn", "--page", "99")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--page 99: must be a whole number from 1 to")
	assert.Contains(t, stderr, "the primer's pages")

	code, out, _ = run(t, "-o", "json", "learn")
	require.Equal(t, 0, code)
	var got []content.LearnPage
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Len(t, got, len(pages))
}

func TestLearnPagesForwardAndBack(t *testing.T) {
	pages := content.Learn()
	require.GreaterOrEqual(t, len(pages), 3)
	out := &syncbuf.Buffer{}
	// Next, next, back (the second item on a middle page), then quit.
	keys := keyEnter + keyEnter + keyDown + keyEnter + keyDown + keyDown + keyEnter
	err := pageThrough(context.Background(), newPrompter(Streams{In: strings.NewReader(keys), Out: out}), out, pages, 0)
	require.NoError(t, err)
	text := out.String()
	assert.Equal(t, 2, strings.Count(text, "── 2/"), "page 2 shown twice: forward, then back")
	assert.Equal(t, 1, strings.Count(text, "── 3/"))
	assert.NotContains(t, text, "── 4/")
	assert.NotContains(t, text, "\a")
}
