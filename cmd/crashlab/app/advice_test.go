package app

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/images"
	"github.com/crashlab/crashlab/interview"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/workshop"
)

// fact is a library error as the libraries make them: its text and its
// sentinel.
type fact struct {
	kind error
	msg  string
}

func (f *fact) Error() string { return f.msg }
func (f *fact) Unwrap() error { return f.kind }

// The libraries state facts; the command line words the advice, and the line
// a learner reads is the same sentence it always was.
func TestLibraryErrorsGetTheirAdvice(t *testing.T) {
	cause := errors.New("unexpected status code 400 Bad Request")
	tests := []struct {
		name  string
		err   error
		want  string
		usage bool // stays a usage error (exit code 2)
	}{
		{name: "cluster missing", err: fmt.Errorf("load images: %w", &fact{cluster.ErrClusterMissing, `kind cluster "crashlab" does not exist`}),
			want: `load images: kind cluster "crashlab" does not exist: create it first (crashlab up)`},
		{name: "foreign namespace", err: &fact{cluster.ErrForeignNamespace, `namespace "crashlab-x" exists but was not created by crashlab (no app.kubernetes.io/managed-by=crashlab label); refusing to touch it`},
			want: `namespace "crashlab-x" exists but was not created by crashlab (no app.kubernetes.io/managed-by=crashlab label); refusing to touch it: delete or rename it yourself, or use --learner to pick another namespace`},
		{name: "namespace taken", err: &fact{cluster.ErrNamespaceTaken, `namespace "crashlab-x" belongs to another lab deployment (crashlab.dev/scenario="a", wanted "b")`},
			want: `namespace "crashlab-x" belongs to another lab deployment (crashlab.dev/scenario="a", wanted "b"): choose another --learner name`},
		{name: "not enough memory", err: fmt.Errorf("%w: docker has 1.9 GiB of memory and 1 node(s) need 2.0 GiB: give it more or close other programs", cluster.ErrNotEnoughMemory),
			want: "not enough memory for the lab's nodes: docker has 1.9 GiB of memory and 1 node(s) need 2.0 GiB: give it more or close other programs, or ask for fewer --nodes"},
		{name: "old containerd", err: &cluster.OldContainerdError{Node: "crashlab-control-plane", Dir: "/etc/containerd/certs.d", Registry: "localhost:5000"},
			want: "node crashlab-control-plane's containerd does not read /etc/containerd/certs.d (the cluster was made by an older crashlab): run `crashlab down` and `crashlab --registry localhost:5000 up`"},
		{name: "no current context", err: &fact{cluster.ErrNoCurrentContext, "kubeconfig /k has no current context"},
			want: "kubeconfig /k has no current context: pass --context"},
		{name: "no lab context", err: &fact{cluster.ErrNoLabContext, `no lab cluster in kubeconfig /k (context "kind-crashlab" missing)`},
			want: "no lab cluster in kubeconfig /k (context \"kind-crashlab\" missing): run `crashlab up`, or pass --context to use an existing cluster"},
		{name: "unreachable", err: &fact{cluster.ErrUnreachable, `cannot reach the cluster of context "kind-crashlab" (kubeconfig /k): refused; is it running?`},
			want: "cannot reach the cluster of context \"kind-crashlab\" (kubeconfig /k): refused; is it running? (`crashlab up` starts the lab cluster)"},
		{name: "push refused", err: fmt.Errorf("images push: %w", &images.PushError{Ref: "r:5000/w:1", Err: cause}),
			want: "images push: push r:5000/w:1: unexpected status code 400 Bad Request (is the registry running and reachable from here? a registry over plain HTTP outside localhost and private addresses needs --insecure-registry)"},
		{name: "too few incidents", err: &lab.TooFewIncidentsError{Fit: 4},
			want: "the catalogue has only 4 incidents that fit in one namespace together; ask for --count 4 or fewer"},
		{name: "plan without learners", err: usageError{workshop.ErrNeedsLearners}, usage: true,
			want: "a workshop needs learners: pass --learners N or --names FILE"},
		{name: "plan without incidents", err: usageError{workshop.ErrNeedsIncidents}, usage: true,
			want: "a workshop needs incidents: pass --incidents ID[,ID…] (see `crashlab list`)"},
		{name: "learner of another workshop", err: &fact{workshop.ErrLearnerTaken, `learner ana's namespace crashlab-ana-x belongs to workshop "other"`},
			want: `learner ana's namespace crashlab-ana-x belongs to workshop "other": give this workshop's learners other names (--names FILE)`},
		{name: "no such workshop", err: &fact{workshop.ErrNoWorkshop, `no workshop "room" on this cluster (namespace crashlab-workshop-room missing)`},
			want: "no workshop \"room\" on this cluster (namespace crashlab-workshop-room missing): run `crashlab workshop create` first"},
		{name: "workshop without learners", err: &fact{workshop.ErrNoLearners, `workshop "room" has no learners`},
			want: "workshop \"room\" has no learners: run `crashlab workshop create` first"},
		{name: "unknown learner", err: &workshop.UnknownLearnerError{Workshop: "room", Learner: "bob"},
			want: "workshop \"room\" has no learner \"bob\": see `crashlab workshop learners --name room`"},
		{name: "no candidate", err: usageError{interview.ValidateCandidate("")}, usage: true,
			want: "--candidate is required: the candidate's name, for the report"},
		{name: "unusable candidate", err: usageError{interview.ValidateCandidate("Ada Lovelace")}, usage: true,
			want: `--candidate "Ada Lovelace" is not usable: use at most 63 lower-case letters, digits and '-'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withAdvice(tt.err)
			require.Error(t, got)
			assert.Equal(t, tt.want, got.Error())
			var ue usageError
			assert.Equal(t, tt.usage, errors.As(got, &ue), "a usage error stays one")
			assert.Equal(t, got.Error(), withAdvice(got).Error(), "advice is given once")
			inner, chain := tt.err, got
			if u, ok := tt.err.(usageError); ok {
				inner, chain = u.error, ue.error
			}
			assert.ErrorIs(t, chain, inner, "the chain is kept")
		})
	}
}

// Run words the advice for every command: the exit line reads it.
func TestExitLineCarriesTheAdvice(t *testing.T) {
	var out bytes.Buffer
	code := exitCode(withAdvice(usageError{workshop.ErrNeedsLearners}), &out)
	assert.Equal(t, 2, code)
	assert.Equal(t, "crashlab: a workshop needs learners: pass --learners N or --names FILE (see `crashlab --help`)\n", out.String())
}
