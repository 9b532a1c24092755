package main

const (
	mib      = 1 << 20
	pageSize = 4096
)

// allocPlan lists the cumulative MiB after each step; the last step is short
// when totalMB is not a multiple of stepMB, so the total is never overshot.
func allocPlan(totalMB, stepMB int) []int {
	if totalMB <= 0 || stepMB <= 0 {
		return nil
	}
	plan := make([]int, 0, (totalMB+stepMB-1)/stepMB)
	for done := stepMB; ; done += stepMB {
		if done >= totalMB {
			return append(plan, totalMB)
		}
		plan = append(plan, done)
	}
}

// memoryHog holds memory that counts against the container's cgroup limit.
type memoryHog struct{ chunks [][]byte }

// growTo allocates up to totalMB. Each page is written because the kernel only
// charges pages that were touched: an untouched make([]byte) costs no RSS and
// would never trigger the OOM killer.
func (m *memoryHog) growTo(totalMB int) {
	for need := totalMB - m.mib(); need > 0; need = totalMB - m.mib() {
		chunk := make([]byte, mib)
		for i := 0; i < len(chunk); i += pageSize {
			chunk[i] = 1
		}
		m.chunks = append(m.chunks, chunk)
	}
}

func (m *memoryHog) mib() int { return len(m.chunks) }
