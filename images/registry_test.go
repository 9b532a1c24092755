package images_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/images"
)

func TestPushThenTheRegistryHoldsEveryImage(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://") // 127.0.0.1:PORT: plain HTTP
	imgs, err := images.ForNode("amd64")
	require.NoError(t, err)
	ctx := context.Background()

	missing, err := images.MissingInRegistry(ctx, host, imgs, false)
	require.NoError(t, err)
	assert.Len(t, missing, len(imgs), "an empty registry holds none")

	var progress []string
	pushed, err := images.Push(ctx, host, imgs, false, func(ref string) { progress = append(progress, ref) })
	require.NoError(t, err)
	assert.Equal(t, progress, pushed)
	for i, ref := range pushed {
		_, tag, _ := strings.Cut(imgs[i].Ref, ":")
		assert.Equal(t, host+"/crashlab/workload:"+tag, ref, "same tag as on the nodes")
	}
	missing, err = images.MissingInRegistry(ctx, host, imgs, false)
	require.NoError(t, err)
	assert.Empty(t, missing)
}

func TestPushToNowhereSaysWhatToCheck(t *testing.T) {
	imgs, err := images.ForNode("amd64")
	require.NoError(t, err)
	_, err = images.Push(context.Background(), "127.0.0.1:1", imgs[:1], false, func(string) {})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is the registry running and reachable")
}

func TestValidateRegistry(t *testing.T) {
	for _, bad := range []string{"", "http://localhost:5000", "Has Spaces:5000", "foo^bar", "team", "team/sub"} {
		assert.Error(t, images.ValidateRegistry(bad), bad)
	}
	for _, good := range []string{"localhost:5000", "172.18.0.1:5000", "registry.example.com/team"} {
		assert.NoError(t, images.ValidateRegistry(good), good)
	}
}
