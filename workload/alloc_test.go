package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllocPlan(t *testing.T) {
	tests := []struct {
		total, step int
		want        []int
	}{
		{0, 8, nil},
		{-1, 8, nil},
		{8, 0, nil},
		{1, 8, []int{1}},
		{8, 8, []int{8}},
		{20, 8, []int{8, 16, 20}},
		{24, 8, []int{8, 16, 24}},
		{3, 1, []int{1, 2, 3}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, allocPlan(tt.total, tt.step), "allocPlan(%d, %d)", tt.total, tt.step)
	}
}

func TestMemoryHogGrowsAndTouchesPages(t *testing.T) {
	var m memoryHog
	m.growTo(3)
	m.growTo(2) // never shrinks
	require.Equal(t, 3, m.mib())
	for _, c := range m.chunks {
		require.Len(t, c, mib)
		for i := 0; i < len(c); i += pageSize {
			if c[i] != 1 {
				t.Fatalf("page at offset %d was not touched", i)
			}
		}
	}
}
