package app

import (
	"context"
	"time"

	"github.com/crashlab/crashlab/cluster"
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
		if g.inWorkshop() {
			// A workshop learner's hints and give-ups are the record the
			// lab's controller keeps: never counted offline.
			return nil, err
		}
		return offline, nil
	}
	if cluster.IsWorkshopContext(conn.Context) {
		return g.serviceOn(ctx, conn)
	}
	opts := g.labOptions(conn.Context)
	if src := auditLogOf(g, conn); src != nil {
		opts = append(opts, lab.WithAuditLog(src))
	}
	return checked(lab.New(conn.Client, opts...))
}
