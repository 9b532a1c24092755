package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios/catalog"
)

// A progress file a newer crashlab wrote is refused by every command that
// would read or write it, in one line that says to upgrade, and is left byte
// for byte, with nothing created beside it.
func TestProgressOfANewerCrashlabIsLeftAlone(t *testing.T) {
	for _, args := range [][]string{
		{"progress"},               // only displays
		{"list"},                   // displays the catalogue with the progress
		{"hint", ordersID},         // writes the hint count
		{"give-up", ordersID},      // writes the give-up
		{"-o", "json", "progress"}, // the same refusal in JSON mode
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := stateDir(t)
			path := filepath.Join(dir, progress.FileName(cluster.ContextName, ""))
			newer := fmt.Sprintf(`{"version":%d,"context":%q,"learner":"","entries":{},"streaks":{}}`, progress.FormatVersion+1, cluster.ContextName)
			require.NoError(t, os.WriteFile(path, []byte(newer), 0o600))
			past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			require.NoError(t, os.Chtimes(path, past, past))

			code, out, stderr := run(t, args...)
			assert.Equal(t, 1, code)
			assert.Empty(t, out)
			assert.Equal(t, fmt.Sprintf("crashlab: progress file %s was written by a newer crashlab (format %d, this one reads up to %d): upgrade crashlab; the file is left as it is\n",
				path, progress.FormatVersion+1, progress.FormatVersion), stderr)

			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, newer, string(got))
			info, err := os.Stat(path)
			require.NoError(t, err)
			assert.True(t, info.ModTime().Equal(past), "the file was not rewritten")
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, entries, 1, "nothing moved aside or created beside it")
		})
	}
}

// The catalogue's mistakes are a bug of the build: the command line says so
// in one line, with the first mistake and how many more.
func TestABadCatalogueIsOneLine(t *testing.T) {
	mistakes := errors.Join(
		errors.New("scenarios/shop/manifests.yaml:25: field limts is not known"),
		errors.New(`scenarios/shop/scenario.yaml:2: alias "old" is already the id or an alias of other`),
	)
	err := badCatalogue(fmt.Errorf("%w:\n%w", catalog.ErrBadCatalogue, mistakes))
	require.ErrorIs(t, err, catalog.ErrBadCatalogue)
	var stderr strings.Builder
	assert.Equal(t, 1, exitCode(err, &stderr))
	assert.Equal(t, "crashlab: the scenario catalogue built into crashlab has mistakes, a bug of this build (`go test ./scenarios/...` lists them all): scenarios/shop/manifests.yaml:25: field limts is not known (and 1 more)\n", stderr.String())
}
