package images_test

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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

	missing, err := images.MissingInRegistry(ctx, host, imgs, images.Remote{})
	require.NoError(t, err)
	assert.Len(t, missing, len(imgs), "an empty registry holds none")

	var progress []string
	pushed, err := images.Push(ctx, host, imgs, images.Remote{}, func(ref string) { progress = append(progress, ref) })
	require.NoError(t, err)
	assert.Equal(t, progress, pushed)
	for i, ref := range pushed {
		_, tag, _ := strings.Cut(imgs[i].Ref, ":")
		assert.Equal(t, host+"/crashlab/workload:"+tag, ref, "same tag as on the nodes")
	}
	missing, err = images.MissingInRegistry(ctx, host, imgs, images.Remote{})
	require.NoError(t, err)
	assert.Empty(t, missing)

	// The lab names its images in the registry before it asks (what it
	// deploys is the registry's name): asking with those names must find
	// the same images.
	named := make([]images.Image, len(imgs))
	for i := range imgs {
		named[i] = images.InRegistry(imgs[i], host)
	}
	missing, err = images.MissingInRegistry(ctx, host, named, images.Remote{})
	require.NoError(t, err)
	assert.Empty(t, missing, "images already named in the registry are asked for under that name")
}

func TestRefInRegistry(t *testing.T) {
	for ref, want := range map[string]string{
		"crashlab.local/workload:3f2a9c1b7d4e-amd64": "reg:5000/crashlab/workload:3f2a9c1b7d4e-amd64",
		"crashlab.local/crashlab:0123456789ab":       "reg:5000/crashlab/crashlab:0123456789ab",
	} {
		assert.Equal(t, want, images.RefInRegistry(ref, "reg:5000/"), ref)
		assert.Equal(t, want, images.RefInRegistry(want, "reg:5000/"), "a name in the registry stays as it is")
	}
}

// silentRegistry accepts connections and never answers, as a registry
// host whose process hangs does.
func silentRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// refusingRegistry is an address where nothing listens.
func refusingRegistry(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// Every call that talks to a registry names it when it does not answer,
// and gives up within the timeout instead of hanging.
func TestARegistryThatDoesNotAnswerIsNamed(t *testing.T) {
	imgs, err := images.ForNode("amd64")
	require.NoError(t, err)
	const timeout = 300 * time.Millisecond
	calls := map[string]func(host string) error{
		"push": func(host string) error {
			_, err := images.Push(context.Background(), host, imgs[:1], images.Remote{Timeout: timeout}, func(string) {})
			return err
		},
		"check": func(host string) error {
			_, err := images.MissingInRegistry(context.Background(), host, imgs[:1], images.Remote{Timeout: timeout})
			return err
		},
	}
	registries := []struct {
		name     string
		host     func(*testing.T) string
		wantMsg  string
		timedOut bool
	}{
		{"silent", silentRegistry, "did not answer within 300ms", true},
		{"refusing", refusingRegistry, "did not answer: connection refused", false},
	}
	for _, r := range registries {
		for call, run := range calls {
			t.Run(r.name+"/"+call, func(t *testing.T) {
				host := r.host(t)
				start := time.Now()
				err := run(host)
				require.Error(t, err)
				assert.Less(t, time.Since(start), 10*timeout, "no retries of a timed-out request")
				var na *images.NotAnsweringError
				require.True(t, errors.As(err, &na), "%v", err)
				assert.Equal(t, host, na.Registry)
				assert.Equal(t, r.timedOut, na.Timeout > 0)
				assert.Contains(t, err.Error(), "registry "+host+" "+r.wantMsg)
				assert.NotContains(t, err.Error(), "\n")
				t.Log(err)
			})
		}
	}
}

func TestValidateRegistry(t *testing.T) {
	for _, bad := range []string{"", "http://localhost:5000", "Has Spaces:5000", "foo^bar", "team", "team/sub"} {
		assert.Error(t, images.ValidateRegistry(bad), bad)
	}
	for _, good := range []string{"localhost:5000", "172.18.0.1:5000", "registry.example.com/team"} {
		assert.NoError(t, images.ValidateRegistry(good), good)
	}
}
