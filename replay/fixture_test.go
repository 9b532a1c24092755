package replay

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	kjson "sigs.k8s.io/json"
)

// TestFixtureIsTheAPIServersFormat: every whole line of the fixture decodes
// strictly (no unknown field) into the API server's own audit.k8s.io/v1
// Event, and the local Event reads the same values from it.
func TestFixtureIsTheAPIServersFormat(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixture, "*.log"))
	require.NoError(t, err)
	require.Len(t, files, 2)
	whole := 0
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			var real auditv1.Event
			strict, err := kjson.UnmarshalStrict(line, &real, kjson.DisallowUnknownFields)
			if err != nil {
				continue // the cut and foreign lines the reader must skip
			}
			whole++
			assert.Empty(t, strict, "%s: %s", f, line)
			l, err := Read(bufioReader(line))
			require.NoError(t, err)
			if real.Stage != auditv1.StageResponseComplete {
				assert.Empty(t, l.Events)
				continue
			}
			require.Len(t, l.Events, 1)
			e := l.Events[0]
			assert.Equal(t, string(real.AuditID), e.AuditID)
			assert.Equal(t, real.RequestURI, e.RequestURI)
			assert.Equal(t, real.User.Username, e.User.Username)
			assert.Equal(t, real.ObjectRef.Resource, e.ObjectRef.Resource)
			assert.Equal(t, real.ObjectRef.Subresource, e.ObjectRef.Subresource)
			assert.Equal(t, int(real.ResponseStatus.Code), e.Code())
			assert.True(t, real.RequestReceivedTimestamp.Time.Equal(e.RequestReceivedTimestamp))
		}
		require.NoError(t, sc.Err())
		fh.Close()
	}
	assert.Equal(t, 27, whole)
}
