package attempts

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crashlab/crashlab/api/v1alpha1"
	"github.com/crashlab/crashlab/progress"
)

// EntryOf reads an Attempt's progress as the lab service keeps it.
func EntryOf(p v1alpha1.Progress) progress.Entry {
	return progress.Entry{
		Started:        timeOf(p.Started),
		Diagnosed:      timeOf(p.Diagnosed),
		Fixed:          timeOf(p.Fixed),
		GivenUp:        timeOf(p.GivenUp),
		Approach:       p.Approach,
		Hints:          int(p.Hints),
		WrongAnswers:   int(p.WrongAnswers),
		BestScore:      int(p.BestScore),
		DiagnosedAfter: time.Duration(p.DiagnosedAfterSeconds) * time.Second,
		FixedAfter:     time.Duration(p.FixedAfterSeconds) * time.Second,
		Commands:       commandsOf(p.Commands),
	}
}

func commandsOf(cs []v1alpha1.LabCommand) []progress.Command {
	var out []progress.Command
	for _, c := range cs {
		out = append(out, progress.Command{At: c.At.UTC(), Name: c.Name})
	}
	return out
}

// ProgressOf writes an entry as an Attempt's progress. Times keep
// microseconds (what a MicroTime holds through the API server), so that
// EntryOf(ProgressOf(e)) reads the same times on every later read: the
// attempt's order of choices is seeded with its start.
func ProgressOf(e progress.Entry) v1alpha1.Progress {
	return v1alpha1.Progress{
		Started:               microOf(e.Started),
		Diagnosed:             microOf(e.Diagnosed),
		Fixed:                 microOf(e.Fixed),
		GivenUp:               microOf(e.GivenUp),
		Approach:              e.Approach,
		Hints:                 int32(e.Hints),
		WrongAnswers:          int32(e.WrongAnswers),
		BestScore:             int32(e.BestScore),
		DiagnosedAfterSeconds: int64(e.DiagnosedAfter / time.Second),
		FixedAfterSeconds:     int64(e.FixedAfter / time.Second),
		Commands:              labCommandsOf(e.Commands),
	}
}

func labCommandsOf(cs []progress.Command) []v1alpha1.LabCommand {
	var out []v1alpha1.LabCommand
	for _, c := range cs {
		if at := microOf(c.At); at != nil {
			out = append(out, v1alpha1.LabCommand{At: *at, Name: c.Name})
		}
	}
	return out
}

func timeOf(t *metav1.MicroTime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func microOf(t time.Time) *metav1.MicroTime {
	if t.IsZero() {
		return nil
	}
	m := metav1.NewMicroTime(t.UTC().Truncate(time.Microsecond))
	return &m
}
