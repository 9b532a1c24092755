package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeKubeconfig writes a kubeconfig whose current context is current, with
// one cluster per context; server URLs are never dialled by Connect.
func writeKubeconfig(t *testing.T, current string, contexts ...string) string {
	t.Helper()
	s := "apiVersion: v1\nkind: Config\ncurrent-context: " + current + "\nclusters:\n"
	for _, c := range contexts {
		s += "- name: " + c + "\n  cluster:\n    server: https://" + c + ".invalid:6443\n"
	}
	s += "users:\n- name: u\n  user:\n    token: t\ncontexts:\n"
	for _, c := range contexts {
		s += "- name: " + c + "\n  context:\n    cluster: " + c + "\n    user: u\n"
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
	return path
}

func TestConnect(t *testing.T) {
	tests := []struct {
		name     string
		current  string
		contexts []string
		context  string // --context
		wantCtx  string
		wantLab  bool
		wantHost string
		wantErr  []string
	}{
		{name: "no --context uses the lab context even when current-context is another", current: "other", contexts: []string{ContextName, "other"},
			wantCtx: ContextName, wantLab: true, wantHost: ContextName},
		{name: "no --context and no lab context refuses the current context", current: "other", contexts: []string{"other"},
			wantErr: []string{"no lab cluster in kubeconfig", ContextName}},
		{name: "--context names another cluster: allowed, not the lab", current: ContextName, contexts: []string{ContextName, "other"}, context: "other",
			wantCtx: "other", wantLab: false, wantHost: "other"},
		{name: "--context naming the lab context is the lab", current: "other", contexts: []string{ContextName, "other"}, context: ContextName,
			wantCtx: ContextName, wantLab: true, wantHost: ContextName},
		{name: "--context unknown", current: "other", contexts: []string{ContextName, "other"}, context: "prod",
			wantErr: []string{`"prod"`, "not found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKubeconfig(t, tt.current, tt.contexts...)
			c, err := Connect(ConnectOptions{Kubeconfig: path, Context: tt.context})
			if tt.wantErr != nil {
				require.Error(t, err)
				for _, w := range tt.wantErr {
					assert.Contains(t, err.Error(), w)
				}
				assert.Contains(t, err.Error(), path, "the error names the kubeconfig")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantCtx, c.Context)
			assert.Equal(t, tt.wantLab, c.IsLab)
			assert.Equal(t, path, c.Kubeconfig)
			require.NotNil(t, c.Client)
			require.NotNil(t, c.REST)
			assert.Contains(t, c.REST.Host, tt.wantHost, "the client talks to the chosen context's cluster")
		})
	}
}

func TestConnectUsesKUBECONFIGWhenNoFileIsGiven(t *testing.T) {
	path := writeKubeconfig(t, "other", ContextName, "other")
	t.Setenv("KUBECONFIG", path)
	c, err := Connect(ConnectOptions{})
	require.NoError(t, err)
	assert.Equal(t, ContextName, c.Context)
	assert.Equal(t, path, c.Kubeconfig)
}

func TestConnectMissingKubeconfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent")
	_, err := Connect(ConnectOptions{Kubeconfig: path})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

func TestConnectContextWithMissingCluster(t *testing.T) {
	s := "apiVersion: v1\nkind: Config\ncontexts:\n- name: " + ContextName + "\n  context:\n    cluster: gone\n    user: u\nusers:\n- name: u\n  user: {token: t}\n"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
	_, err := Connect(ConnectOptions{Kubeconfig: path})
	require.Error(t, err)
	assert.Contains(t, err.Error(), ContextName)
}

func TestReachableNamesTheContext(t *testing.T) {
	s := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\n" +
		"contexts:\n- name: " + ContextName + "\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(s), 0o600))
	c, err := Connect(ConnectOptions{Kubeconfig: path})
	require.NoError(t, err)
	err = c.Reachable(context.Background()) // nothing listens on port 1
	require.Error(t, err)
	assert.Contains(t, err.Error(), ContextName)
	assert.Contains(t, err.Error(), path)
	assert.ErrorIs(t, err, ErrUnreachable)
}

func TestConnectMissingKubeconfig(t *testing.T) {
	dir := t.TempDir()
	absent := filepath.Join(dir, "absent")
	absent2 := filepath.Join(dir, "absent2")
	lab := writeKubeconfig(t, "other", ContextName, "other")
	list := func(p ...string) string { return strings.Join(p, string(os.PathListSeparator)) }

	tests := []struct {
		name       string
		explicit   string // --kubeconfig
		env        string // $KUBECONFIG
		want       *KubeconfigMissingError
		wantCtx    string // when it connects
		wantOthers string // another error, not the missing file
	}{
		{name: "explicit path missing", explicit: absent, env: lab, want: &KubeconfigMissingError{Paths: []string{absent}, Explicit: true}},
		{name: "KUBECONFIG missing", env: absent, want: &KubeconfigMissingError{Paths: []string{absent}}},
		{name: "no path of KUBECONFIG exists", env: list(absent, "", absent2, absent), want: &KubeconfigMissingError{Paths: []string{absent, absent2}}},
		{name: "one path of KUBECONFIG exists: the missing ones are skipped, as client-go does", env: list(absent, lab), wantCtx: ContextName},
		{name: "explicit path exists", explicit: lab, env: absent, wantCtx: ContextName},
		{name: "a directory is not missing: client-go says what is wrong", explicit: dir, wantOthers: "read kubeconfig " + dir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			c, err := Connect(ConnectOptions{Kubeconfig: tt.explicit})
			switch {
			case tt.want != nil:
				require.ErrorIs(t, err, ErrKubeconfigMissing)
				var missing *KubeconfigMissingError
				require.ErrorAs(t, err, &missing)
				assert.Equal(t, tt.want, missing)
				assert.Equal(t, "kubeconfig "+strings.Join(tt.want.Paths, string(os.PathListSeparator))+" does not exist", err.Error())
			case tt.wantOthers != "":
				require.Error(t, err)
				assert.NotErrorIs(t, err, ErrKubeconfigMissing)
				assert.Contains(t, err.Error(), tt.wantOthers)
			default:
				require.NoError(t, err)
				assert.Equal(t, tt.wantCtx, c.Context)
			}
		})
	}
}
