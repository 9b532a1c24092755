package workshop

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crashlab/crashlab/cluster"
)

func roomPacks() []PackFiles {
	return []PackFiles{
		{Name: "starter", Files: map[string][]byte{"pack.yaml": []byte("name: starter\n"), "quotes/scenario.yaml": []byte("id: quotes\n"), "quotes/manifests.yaml": {0xff, 0x00}}},
		{Name: "team.v2", Files: map[string][]byte{"pack.yaml": []byte("name: team.v2\n")}},
	}
}

// A room's packs travel in one ConfigMap and read back file for file,
// binary content included; a second create replaces them.
func TestRoomPacksReadBackAsWritten(t *testing.T) {
	ctx := context.Background()
	c := fake.NewClientset()
	labels := map[string]string{cluster.LabelManagedBy: cluster.ManagedBy}
	cm, err := roomPacksConfigMap(Namespace("room"), labels, roomPacks())
	require.NoError(t, err)
	require.NoError(t, putRoomPacks(ctx, c, cm))
	got, err := ReadRoomPacks(ctx, c, "room")
	require.NoError(t, err)
	assert.ElementsMatch(t, roomPacks(), got)

	changed := roomPacks()[:1]
	changed[0].Files["pack.yaml"] = []byte("name: starter\nversion: 1.1.0\n")
	cm, err = roomPacksConfigMap(Namespace("room"), labels, changed)
	require.NoError(t, err)
	require.NoError(t, putRoomPacks(ctx, c, cm))
	got, err = ReadRoomPacks(ctx, c, "room")
	require.NoError(t, err)
	assert.Equal(t, changed, got, "the second create's packs replace the first's")
}

// A room without packs, and a room made before rooms carried them (its
// learners may not read the name), have none; any other failure is said.
func TestRoomWithoutPacksHasNone(t *testing.T) {
	ctx := context.Background()
	got, err := ReadRoomPacks(ctx, fake.NewClientset(), "room")
	require.NoError(t, err)
	assert.Empty(t, got)

	for name, fail := range map[string]error{
		"forbidden": apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, RoomPacksName, nil),
		"down":      apierrors.NewServiceUnavailable("down"),
	} {
		c := fake.NewClientset()
		c.PrependReactor("get", "configmaps", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, fail })
		got, err := ReadRoomPacks(ctx, c, "room")
		assert.Empty(t, got, name)
		if name == "forbidden" {
			assert.NoError(t, err)
		} else {
			assert.Error(t, err)
		}
	}
}

// What a learner's crashlab would write outside the pack's folder, or a
// ConfigMap that is not a set of packs, is refused before anything is
// written.
func TestRoomPacksRefuseWhatWouldLeaveThePack(t *testing.T) {
	for name, tc := range map[string]struct {
		index string
		data  map[string][]byte
	}{
		"no index":       {"", map[string][]byte{"f0": nil}},
		"dot-dot":        {`{"f0":{"pack":"p","path":"../x"}}`, map[string][]byte{"f0": nil}},
		"inner dot-dot":  {`{"f0":{"pack":"p","path":"a/../../x"}}`, map[string][]byte{"f0": nil}},
		"absolute":       {`{"f0":{"pack":"p","path":"/etc/passwd"}}`, map[string][]byte{"f0": nil}},
		"backslash":      {`{"f0":{"pack":"p","path":"a\\..\\x"}}`, map[string][]byte{"f0": nil}},
		"bad pack name":  {`{"f0":{"pack":"../p","path":"x"}}`, map[string][]byte{"f0": nil}},
		"missing file":   {`{"f1":{"pack":"p","path":"x"}}`, map[string][]byte{"f0": nil}},
		"empty path":     {`{"f0":{"pack":"p","path":""}}`, map[string][]byte{"f0": nil}},
		"unclean path":   {`{"f0":{"pack":"p","path":"a//b"}}`, map[string][]byte{"f0": nil}},
		"not json index": {`{`, map[string][]byte{"f0": nil}},
	} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: RoomPacksName}, Data: map[string]string{packsIndexKey: tc.index}, BinaryData: tc.data}
		_, err := packsOf(cm)
		assert.ErrorIs(t, err, ErrBadRoomPacks, name)
	}
}

// Packs over what a ConfigMap may hold are refused when the room is made.
func TestRoomPacksTooLarge(t *testing.T) {
	big := []PackFiles{{Name: "big", Files: map[string][]byte{"a": []byte(strings.Repeat("x", MaxPacksSize)), "b": []byte("y")}}}
	_, err := roomPacksConfigMap("ws", nil, big)
	assert.ErrorIs(t, err, ErrPacksTooLarge)
}
