package attempts

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crashlab/crashlab/api/v1alpha1"
)

// Cache is a watch cache of the Attempts of one namespace (a workshop's),
// the same controller-runtime cache the controller judges from: the
// trainer's board is drawn from it.
type Cache struct {
	cfg       *rest.Config
	namespace string
	c         cache.Cache
}

// NewCache returns a cache of the Attempts in namespace; Start fills it.
func NewCache(cfg *rest.Config, namespace string) *Cache {
	return &Cache{cfg: cfg, namespace: namespace}
}

// Start starts the watch and returns once the cache holds every Attempt;
// changed is called on each change after that.
func (a *Cache) Start(ctx context.Context, changed func()) error {
	c, err := cache.New(a.cfg, cache.Options{Scheme: Scheme(), DefaultNamespaces: map[string]cache.Config{a.namespace: {}}})
	if err != nil {
		return err
	}
	inf, err := c.GetInformer(ctx, &v1alpha1.Attempt{})
	if err != nil {
		return fmt.Errorf("watch the Attempts of %s: %w", a.namespace, err)
	}
	if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { changed() },
		UpdateFunc: func(any, any) { changed() },
		DeleteFunc: func(any) { changed() },
	}); err != nil {
		return err
	}
	go func() { _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("watch the Attempts of %s: %w", a.namespace, context.Cause(ctx))
	}
	a.c = c
	return nil
}

// Attempts are the cached Attempts.
func (a *Cache) Attempts() []v1alpha1.Attempt {
	var l v1alpha1.AttemptList
	if a.c == nil || a.c.List(context.Background(), &l, client.InNamespace(a.namespace)) != nil {
		return nil
	}
	return l.Items
}
