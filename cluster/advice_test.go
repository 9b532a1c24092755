package cluster

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// cliAdvice is what only the command line may say: a crashlab command or a flag.
var cliAdvice = regexp.MustCompile("`crashlab|crashlab (up|down|start|reset|list|status|check|workshop|images|interview|triage|play|explain)\\b|(^|[\\s(`])--[a-z]")

// The package states facts; which command or flag helps is the CLI's to say,
// so every error it returns is known by a sentinel and names no command.
func TestErrorsStateFactsNotCommands(t *testing.T) {
	foreign := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-x"}}
	taken := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crashlab-y", Labels: LabLabels("other", "")}}
	_, takenErr := CreateNamespace(context.Background(), fake.NewClientset(taken), "crashlab-y", LabLabels("mine", ""))
	_, noLab := Connect(ConnectOptions{Kubeconfig: writeKubeconfig(t, "other", "other")})
	_, noCurrent := Connect(ConnectOptions{Kubeconfig: writeKubeconfig(t, "", "other"), CurrentContext: true})
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"cluster missing", factf(ErrClusterMissing, "kind cluster %q does not exist", "crashlab"), ErrClusterMissing},
		{"foreign namespace", CheckOwned(foreign), ErrForeignNamespace},
		{"namespace taken", takenErr, ErrNamespaceTaken},
		{"no lab context", noLab, ErrNoLabContext},
		{"no current context", noCurrent, ErrNoCurrentContext},
		{"unreachable", factf(ErrUnreachable, "cannot reach the cluster of context %q (kubeconfig %s): %v; is it running?", ContextName, "/k", "refused"), ErrUnreachable},
		{"old containerd", &OldContainerdError{Node: "n", Dir: certsDir, Registry: "r:5000"}, ErrOldContainerd},
		{"not enough memory", preflightErrForTest(), ErrNotEnoughMemory},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			assert.ErrorIs(t, tt.err, tt.is)
			assert.NotRegexp(t, cliAdvice, tt.err.Error())
		})
	}
}

func preflightErrForTest() error {
	return runtimeInfo{memoryLimit: true, memTotal: 1 << 30}.check("docker", 1)
}
