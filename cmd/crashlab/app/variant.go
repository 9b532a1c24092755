package app

import (
	"context"
	"time"

	"github.com/crashlab/crashlab/lab"
)

// recordDialTimeout bounds how long hint and explain try the cluster.
const recordDialTimeout = 5 * time.Second

// recordService is the lab service for hint and explain, which need no
// cluster but must name what the attempt deployed: a blind variant's
// objects (start --variant) are known only from its attempt record. When
// the cluster answers, the service reads the record there; when it does
// not, the offline service shows the incident as the catalogue writes it.
func (g *globals) recordService(ctx context.Context) (*lab.Service, error) {
	offline, err := g.offlineService()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, recordDialTimeout)
	defer cancel()
	conn, err := g.dial(ctx)
	if err != nil {
		return offline, nil
	}
	return checked(lab.New(conn.Client, g.labOptions(conn.Context)...))
}
