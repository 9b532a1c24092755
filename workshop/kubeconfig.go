package workshop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/crashlab/crashlab/cluster"
)

// MinExpiry and MaxExpiry are the range of a token's lifetime the API
// server's TokenRequest validation accepts: at least ten minutes, at most
// 2^32 seconds (k8s.io/kubernetes pkg/apis/authentication/validation).
const (
	MinExpiry = 10 * time.Minute
	MaxExpiry = (1 << 32) * time.Second
)

// ErrExpiryOutOfRange is a token lifetime the API server would refuse.
var ErrExpiryOutOfRange = fmt.Errorf("a token's lifetime must be from %s to %s", MinExpiry, MaxExpiry)

func checkExpiry(expiry time.Duration) error {
	if expiry < MinExpiry || expiry > MaxExpiry {
		return fmt.Errorf("%w, not %s", ErrExpiryOutOfRange, expiry)
	}
	return nil
}

// Issued is one learner's kubeconfig as written.
type Issued struct {
	Learner string    `json:"learner"`
	Path    string    `json:"path"`
	Expires time.Time `json:"expires"`
}

// Kubeconfigs writes DIR/<learner>.kubeconfig for every learner of the
// workshop: the cluster's address and CA as the trainer's own config has
// them (server overrides the address, for a room that reaches the API
// server another way), and a token of the learner's ServiceAccount from the
// TokenRequest API that expires after expiry. Files are private (0600); an
// existing file is replaced, since the old token may have expired.
func Kubeconfigs(ctx context.Context, c kubernetes.Interface, cfg *rest.Config, name, dir, server string, expiry time.Duration) ([]Issued, error) {
	if err := checkExpiry(expiry); err != nil {
		return nil, err
	}
	learners, err := Learners(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if len(learners) == 0 {
		return nil, factf(ErrNoLearners, "workshop %q has no learners", name)
	}
	target, err := clusterOf(cfg, server)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	var out []Issued
	for _, l := range learners {
		ns := ""
		if len(l.Namespaces) > 0 {
			ns = l.Namespaces[0]
		}
		path := filepath.Join(dir, l.Name+".kubeconfig")
		expires, err := writeKubeconfig(ctx, c, target, Access{
			ServiceAccountNamespace: Namespace(name), ServiceAccount: l.Name,
			Context: cluster.WorkshopContext(name, l.Name), Namespace: ns, Expiry: expiry,
		}, path)
		if err != nil {
			return out, err
		}
		out = append(out, Issued{Learner: l.Name, Path: path, Expires: expires})
	}
	return out, nil
}

// Access is one ServiceAccount's kubeconfig: whose token, the context's name
// (which tells the lab what kind of kubeconfig it is) and its namespace.
type Access struct {
	ServiceAccountNamespace string
	ServiceAccount          string
	Context                 string
	Namespace               string
	Expiry                  time.Duration
}

// WriteKubeconfig writes path as a private (0600) kubeconfig for a.ServiceAccount,
// with a token from the TokenRequest API that expires after a.Expiry, and the
// cluster's address (server, else cfg's) and CA as cfg has them; it returns
// when the token expires. An interview writes its candidate's file with it.
func WriteKubeconfig(ctx context.Context, c kubernetes.Interface, cfg *rest.Config, server string, a Access, path string) (time.Time, error) {
	if err := checkExpiry(a.Expiry); err != nil {
		return time.Time{}, err
	}
	target, err := clusterOf(cfg, server)
	if err != nil {
		return time.Time{}, err
	}
	return writeKubeconfig(ctx, c, target, a, path)
}

// clusterOf is the cluster entry of the kubeconfigs the lab writes.
func clusterOf(cfg *rest.Config, server string) (*clientcmdapi.Cluster, error) {
	if server == "" {
		server = cfg.Host
	}
	ca := cfg.TLSClientConfig.CAData
	if len(ca) == 0 && cfg.TLSClientConfig.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.TLSClientConfig.CAFile); err != nil {
			return nil, fmt.Errorf("read the cluster's CA %s: %w", cfg.TLSClientConfig.CAFile, err)
		}
	}
	if len(ca) == 0 && !cfg.TLSClientConfig.Insecure && strings.HasPrefix(server, "https://") {
		return nil, errors.New("the kubeconfig you use has no CA for this cluster, so the learners' files would have none: use a kubeconfig with certificate-authority-data")
	}
	return &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca, InsecureSkipTLSVerify: cfg.TLSClientConfig.Insecure}, nil
}

func writeKubeconfig(ctx context.Context, c kubernetes.Interface, target *clientcmdapi.Cluster, a Access, path string) (time.Time, error) {
	secs := int64(a.Expiry / time.Second)
	tr, err := c.CoreV1().ServiceAccounts(a.ServiceAccountNamespace).CreateToken(ctx, a.ServiceAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs},
	}, metav1.CreateOptions{})
	if err != nil {
		return time.Time{}, fmt.Errorf("token for %s: %w", a.ServiceAccount, err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters[a.Context] = target
	kc.AuthInfos[a.Context] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts[a.Context] = &clientcmdapi.Context{Cluster: a.Context, AuthInfo: a.Context, Namespace: a.Namespace}
	kc.CurrentContext = a.Context
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return time.Time{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return time.Time{}, err
	}
	return tr.Status.ExpirationTimestamp.Time, nil
}

// Identity is who a workshop kubeconfig says its user is.
type Identity struct {
	Workshop string
	Learner  string
}

// ParseUser reads a ServiceAccount user name
// (system:serviceaccount:crashlab-workshop-<name>:<learner>); ok is false for
// any other user.
func ParseUser(user string) (Identity, bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:"+namespacePrefix)
	if !ok {
		return Identity{}, false
	}
	name, learner, ok := strings.Cut(rest, ":")
	if !ok || name == "" || learner == "" {
		return Identity{}, false
	}
	return Identity{Workshop: name, Learner: learner}, true
}

// WhoAmI asks the API server who the client is (SelfSubjectReview, which
// every authenticated user may do) and reads it as a workshop learner.
func WhoAmI(ctx context.Context, c kubernetes.Interface) (Identity, error) {
	r, err := c.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return Identity{}, fmt.Errorf("ask the cluster who this kubeconfig is: %w", err)
	}
	id, ok := ParseUser(r.Status.UserInfo.Username)
	if !ok {
		return Identity{}, fmt.Errorf("this kubeconfig's user %q is not a workshop learner", r.Status.UserInfo.Username)
	}
	return id, nil
}
