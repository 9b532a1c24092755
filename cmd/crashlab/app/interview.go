package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crashlab/crashlab/cluster"
	"github.com/crashlab/crashlab/content"
	"github.com/crashlab/crashlab/interview"
	"github.com/crashlab/crashlab/lab"
	"github.com/crashlab/crashlab/progress"
	"github.com/crashlab/crashlab/scenarios"
	"github.com/crashlab/crashlab/workshop"
)

// `crashlab interview start`: the interviewer's side of an interview. Unlike
// `drill --incident`, where the candidate is cluster-admin and could read or
// edit what they are judged against, the candidate here gets a kubeconfig
// whose rights end at the incident namespace; their crashlab relays
// requests, and this process judges them and keeps the score.

// Outcomes of an interview (the same words as drill --incident's).
const (
	interviewSolved      = "solved"
	interviewInterrupted = "interrupted"
	interviewTimeUp      = "time limit"
)

type interviewStartFlags struct {
	candidate     string
	incident      string
	level         int
	seed          uint64
	limit         time.Duration
	kubeconfigOut string
	expiry        time.Duration
}

func newInterviewCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "interview",
		Short: "Run an incident as a hiring interview: the candidate can neither read the answer nor write the score",
		Long: "For interviewers, on a cluster where you are admin. `interview start` deploys an incident into a neutral namespace, " +
			"writes the candidate a kubeconfig whose rights end at that namespace, waits while the candidate works " +
			"(their `crashlab diagnose|hint|check|status`, without an id, are judged here), and prints the report.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageError{errors.New("name a subcommand: start")}
		},
	}
	flags := &interviewStartFlags{}
	start := &cobra.Command{
		Use:   "start --candidate NAME [--incident ID | --level N]",
		Short: "Start an interview, wait while the candidate works, and print the report",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runInterviewStart(c.Context(), g, flags, c.Flags().Changed("seed"))
		},
	}
	f := start.Flags()
	f.StringVar(&flags.candidate, "candidate", "", "the candidate's name, for the report (lower-case letters, digits and '-')")
	f.StringVar(&flags.incident, "incident", "", "the incident, an id crashlab list shows (default: one at random)")
	intRangeVar(f, &flags.level, "level", 0, 0, maxLevel(), "the catalogue's levels; 0: any", "pick the incident at random from this level")
	seedVar(f, &flags.seed, "seed", "the blind variant's seed (default: random; the report prints it)")
	durationRangeVar(f, &flags.limit, "limit", 30*time.Minute, time.Second, maxDuration, "time limit from the page")
	f.StringVar(&flags.kubeconfigOut, "kubeconfig-out", "", "where to write the candidate's kubeconfig (default: ./<candidate>.kubeconfig); a regular file or none")
	tokenExpiryVar(f, &flags.expiry, "expiry", 2*time.Hour, "how long the candidate's token is valid")
	cmd.AddCommand(start)
	return cmd
}

// interviewPlan is the validated flags.
type interviewPlan struct {
	scenario scenarios.Scenario
	seed     uint64
	out      string
}

// validate checks every flag before anything connects: each bad one is a
// usage error of one line.
func (f *interviewStartFlags) validate(g *globals, seedGiven bool) (interviewPlan, error) {
	var p interviewPlan
	if err := interview.ValidateCandidate(f.candidate); err != nil {
		return p, usageError{err}
	}
	if f.incident != "" && f.level != 0 {
		return p, usageError{errors.New("--incident and --level exclude each other: name the incident, or a level to pick from")}
	}
	// --limit and --expiry are each in range already (their flag types).
	if f.expiry < f.limit {
		return p, usageError{fmt.Errorf("--expiry %s is shorter than --limit %s: the candidate's token would end before the interview", f.expiry, f.limit)}
	}
	p.out = f.kubeconfigOut
	if p.out == "" {
		p.out = f.candidate + ".kubeconfig"
	}
	if err := writableFile(p.out); err != nil {
		return p, usageError{err}
	}
	svc, err := g.offlineService()
	if err != nil {
		return p, err
	}
	if p.scenario, err = pickIncident(svc, f.incident, f.level); err != nil {
		return p, usageError{err}
	}
	p.seed = f.seed
	if !seedGiven {
		if p.seed, err = randomSeed(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// writableFile accepts a regular file or none (in an existing folder): the
// kubeconfig holds a token, so it never goes through a link or to a device.
func writableFile(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		dir, derr := os.Stat(filepath.Dir(path))
		if derr != nil || !dir.IsDir() {
			return fmt.Errorf("--kubeconfig-out %s: folder %s does not exist", path, filepath.Dir(path))
		}
		return nil
	case err != nil:
		return fmt.Errorf("--kubeconfig-out %s: %v", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("--kubeconfig-out %s is %s, not a regular file: name a regular file or a new one", path, fileKind(fi.Mode()))
	}
	return nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsRegular():
		return "a file"
	case m.IsDir():
		return "a folder"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "something else"
}

// pickIncident is --incident, or one at random (of --level).
func pickIncident(svc *lab.Service, id string, level int) (scenarios.Scenario, error) {
	if id != "" {
		sc, err := svc.Scenario(id)
		if err != nil {
			return sc, fmt.Errorf("--incident %s: %w: `crashlab list` shows them", id, err)
		}
		return sc, nil
	}
	var pool []scenarios.Scenario
	levels := map[int]bool{}
	for _, sc := range svc.Scenarios() {
		levels[sc.Level] = true
		if level == 0 || sc.Level == level {
			pool = append(pool, sc)
		}
	}
	if len(pool) == 0 {
		return scenarios.Scenario{}, fmt.Errorf("--level %d: no incident has that level (levels: %s)", level, levelList(levels))
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(pool))))
	if err != nil {
		return scenarios.Scenario{}, err
	}
	return pool[n.Int64()], nil
}

func levelList(levels map[int]bool) string {
	var out []string
	for l := 1; l <= 10; l++ {
		if levels[l] {
			out = append(out, fmt.Sprint(l))
		}
	}
	return strings.Join(out, ", ")
}

func randomSeed() (uint64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("draw a seed: %w", err)
	}
	return binary.BigEndian.Uint64(b[:]) | 1, nil
}

func runInterviewStart(ctx context.Context, g *globals, f *interviewStartFlags, seedGiven bool) error {
	plan, err := f.validate(g, seedGiven)
	if err != nil {
		return err
	}
	conn, err := g.dial(ctx)
	if err != nil {
		return err
	}
	token, err := interview.NewToken()
	if err != nil {
		return err
	}
	dir, err := progress.DefaultDir()
	if err != nil {
		return err
	}
	iv := &interviewRun{g: g, f: f, plan: plan, conn: conn, token: token, progressDir: filepath.Join(dir, "interviews", token)}
	return iv.run(ctx)
}

// interviewRun is one interview on a connected cluster.
type interviewRun struct {
	g           *globals
	f           *interviewStartFlags
	plan        interviewPlan
	conn        *cluster.Conn
	token       string
	progressDir string
	rec         *interview.Recorder
}

// service is the interviewer's lab service, placed in the interview's
// namespace, with its own progress (this interview's attempt and score);
// progress, when set, hears a check's wait.
func (iv *interviewRun) service(progressFn func(string)) (*lab.Service, error) {
	opts := append(iv.g.labOptions(iv.conn.Context),
		lab.WithImageEnsurer(lab.ClusterImages{Client: iv.conn.Client, IsLab: iv.conn.IsLab, Logger: newLogger(iv.g)}),
		lab.WithProgressDir(iv.progressDir),
		lab.WithPlacement(lab.Placement{Namespace: interview.Namespace(iv.token), Labels: interview.Labels(iv.token)}),
		// The blind variant: the same seed gives every candidate of a panel
		// the same names and values.
		lab.WithVariant(iv.plan.seed),
		// The report's investigation: the candidate's requests only, not
		// the interviewer's own looks at the namespace.
		lab.WithAuditUser(interview.CandidateUser(iv.token)),
	)
	if src := auditLogOf(iv.g, iv.conn); src != nil {
		opts = append(opts, lab.WithAuditLog(src))
	}
	if progressFn != nil {
		opts = append(opts, lab.WithProgress(progressFn))
	}
	return lab.New(iv.conn.Client, opts...)
}

func (iv *interviewRun) run(ctx context.Context) error {
	g, c, sc := iv.g, iv.conn.Client, iv.plan.scenario
	svc, err := iv.service(nil)
	if err != nil {
		return err
	}
	stop := g.startWait(ctx, "deploying the incident into "+interview.Namespace(iv.token))
	started, err := iv.deploy(ctx, svc)
	stop()
	if err != nil {
		return err
	}
	expires, err := workshop.WriteKubeconfig(ctx, c, iv.conn.REST, "", workshop.Access{
		ServiceAccountNamespace: started.Namespace, ServiceAccount: interview.CandidateAccount,
		Context: interview.Context(iv.token), Namespace: started.Namespace, Expiry: iv.f.expiry,
	}, iv.plan.out)
	if err != nil {
		return err
	}
	rec := interview.Record{
		Token: iv.token, Candidate: iv.f.candidate, Incident: sc.ID, Namespace: started.Namespace,
		Seed: iv.plan.seed, Started: time.Now(), Limit: iv.f.limit.String(),
	}
	if iv.rec, err = interview.NewRecorder(ctx, c, rec, iv.news, func(err error) { g.warn(err.Error()) }); err != nil {
		return err
	}
	iv.page(started, expires)
	outcome := iv.wait(ctx, svc)
	a, err := svc.Attempt(sc.ID)
	if err != nil {
		return err
	}
	var score *int
	if a.Scored {
		s := a.Score
		score = &s
	}
	final, err := iv.rec.Finish(ctx, outcome, score)
	if err != nil {
		g.warn(err.Error())
	}
	rep := interviewReportOf(final, sc, a)
	rep.Investigation, rep.InvestigationNote = iv.investigation(ctx, svc, outcome)
	if g.json() {
		if err := g.emit(rep); err != nil {
			return err
		}
	} else {
		printInterviewReport(g.streams.Out, rep)
	}
	if outcome == interviewInterrupted {
		return ExitError{Code: 130}
	}
	return nil
}

// investigation is the candidate's investigation for the report, or a note
// saying why there is none. The interviewer is not the candidate: the
// evidence marks and the expert path are shown whatever the outcome.
func (iv *interviewRun) investigation(ctx context.Context, svc *lab.Service, outcome string) (*lab.Replay, string) {
	if outcome == interviewInterrupted {
		// Reading the log takes longer than Ctrl-C may.
		return nil, "not read: the interview was stopped early"
	}
	r, err := svc.ReplayFor(ctx, iv.plan.scenario.ID, lab.ReplayOptions{Reveal: true})
	switch {
	case errors.Is(err, lab.ErrNoAuditLog):
		return nil, "not recorded: this cluster keeps no audit log the lab can read (the lab's own kind cluster does)"
	case err != nil:
		return nil, "not read: " + err.Error()
	}
	return &r, ""
}

// deploy makes the system namespace, starts the incident in the
// interview's namespace and locks it down, all before the candidate has a
// token.
func (iv *interviewRun) deploy(ctx context.Context, svc *lab.Service) (lab.Started, error) {
	c := iv.conn.Client
	if err := interview.EnsureSystemNamespace(ctx, c); err != nil {
		return lab.Started{}, err
	}
	started, err := svc.Start(ctx, iv.plan.scenario.ID)
	if err != nil {
		return started, advise(err, iv.plan.scenario.ID)
	}
	if err := interview.LockDown(ctx, c, iv.token); err != nil {
		return started, err
	}
	return started, nil
}

// page prints the page without the incident's id, and how the candidate
// connects.
func (iv *interviewRun) page(s lab.Started, expires time.Time) {
	w := iv.g.textOut()
	fmt.Fprintf(w, "Interview of %s: at most %s.\n", iv.f.candidate, iv.f.limit)
	content.Briefing(w, s.Scenario.Title, "interview "+iv.token, s.Namespace, s.Scenario.Briefing)
	k := iv.plan.out
	fmt.Fprintf(w, "\nGive the candidate %s (its token expires %s). They work with:\n"+
		"  kubectl --kubeconfig %s get pods\n"+
		"  crashlab --kubeconfig %s diagnose    answer the diagnosis questions\n"+
		"  crashlab --kubeconfig %s hint        a hint, if needed (it costs points)\n"+
		"  crashlab --kubeconfig %s check       check the fix\n"+
		"  crashlab --kubeconfig %s status      what the lab sees per pod\n"+
		"Their crashlab asks this process, which judges and keeps the record in %s; keep it running.\n"+
		"It waits until the diagnosis and the fix pass or the time is up, then prints the report; Ctrl-C ends it early with the report so far.\n\n",
		k, expires.Local().Format("15:04"), k, k, k, k, k, interview.SystemNamespace)
}

// wait serves the candidate's requests until the attempt is solved, the
// limit passes or ctx ends; it hears of each event from the recorder, so
// nothing is polled.
func (iv *interviewRun) wait(ctx context.Context, svc *lab.Service) string {
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	judge := &interview.Judge{Service: iv.service, Incident: iv.plan.scenario.ID, Hidden: iv.plan.scenario.Aliases, Record: iv.rec}
	go func() {
		defer close(done)
		_ = interview.Serve(sctx, iv.conn.Client, interview.Namespace(iv.token), interview.DefaultTiming, judge.Handle)
	}()
	defer func() {
		cancel()
		<-done
	}()
	limit := time.NewTimer(iv.f.limit)
	defer limit.Stop()
	for {
		select {
		case <-ctx.Done():
			return interviewInterrupted
		case <-limit.C:
			return interviewTimeUp
		case <-iv.rec.Changed():
			if a, err := svc.Attempt(iv.plan.scenario.ID); err == nil && a.Diagnosed && a.Fixed {
				return interviewSolved
			}
		}
	}
}

// news prints an event as it happens.
func (iv *interviewRun) news(e interview.Event) {
	iv.g.above(func() { fmt.Fprintf(iv.g.textOut(), "%s  %s\n", e.At.Format("15:04:05"), eventLine(e)) })
}

func eventLine(e interview.Event) string {
	line := fmt.Sprintf("+%-8s %-9s", e.After, e.Kind)
	if e.Detail != "" {
		line += " " + e.Detail
	}
	if e.Passed != nil {
		line += map[bool]string{true: ": right", false: ": wrong"}[*e.Passed]
		if e.Kind == "check" {
			line = strings.TrimSuffix(strings.TrimSuffix(line, ": right"), ": wrong") + map[bool]string{true: ": PASS", false: ": FAIL"}[*e.Passed]
		}
	}
	return line
}

// interviewReport is what the interviewer reads at the end, and -o json's
// object; it comes only from this process and its own record.
type interviewReport struct {
	Incident     string            `json:"incident"`
	Title        string            `json:"title"`
	Cause        string            `json:"cause"`
	Seed         uint64            `json:"seed"`
	Namespace    string            `json:"namespace"`
	Candidate    string            `json:"candidate"`
	Started      time.Time         `json:"started"`
	Limit        string            `json:"limit"`
	Outcome      string            `json:"outcome"`
	Diagnosed    bool              `json:"diagnosed"`
	Fixed        bool              `json:"fixed"`
	Hints        int               `json:"hints"`
	WrongAnswers int               `json:"wrongAnswers"`
	Approach     string            `json:"approach,omitempty"`
	Events       []interview.Event `json:"events"`
	// Investigation is the candidate's investigation, from the API
	// server's audit log and the interviewer's record of their lab
	// commands; InvestigationNote says why there is none.
	Investigation     *lab.Replay `json:"investigation,omitempty"`
	InvestigationNote string      `json:"investigationNote,omitempty"`
	// Score is the attempt's score once fixed; null while the fix has not
	// passed.
	Score *int `json:"score"`
	// Record is where the interview record is kept (namespace/name).
	Record string `json:"record"`
}

func interviewReportOf(r interview.Record, sc scenarios.Scenario, a lab.AttemptProgress) interviewReport {
	events := r.Events
	if events == nil {
		events = []interview.Event{}
	}
	return interviewReport{
		Incident: r.Incident, Title: sc.Title, Cause: sc.Cause, Seed: r.Seed, Namespace: r.Namespace,
		Candidate: r.Candidate, Started: r.Started, Limit: r.Limit, Outcome: r.Outcome,
		Diagnosed: a.Diagnosed, Fixed: a.Fixed, Hints: a.Hints, WrongAnswers: a.WrongAnswers, Approach: a.Approach,
		Events: events, Score: r.Score, Record: interview.SystemNamespace + "/interview-" + r.Token,
	}
}

func printInterviewReport(w io.Writer, r interviewReport) {
	fmt.Fprintf(w, "\n== Interview report: %s (%s) ==\n\n", r.Title, r.Incident)
	end := map[string]string{
		interviewSolved: "solved", interviewInterrupted: "stopped early (Ctrl-C); the report so far",
		interviewTimeUp: "time limit of " + r.Limit + " reached",
	}[r.Outcome]
	score := "none (the fix did not pass)"
	if r.Score != nil {
		score = fmt.Sprintf("%d/%d", *r.Score, lab.MaxScore)
	}
	rows := [][2]string{
		{"Candidate", r.Candidate},
		{"Outcome", end},
		{"Incident", r.Incident},
		{"Variant seed", fmt.Sprint(r.Seed)},
		{"Namespace", r.Namespace},
		{"Cause", r.Cause},
		{"Hints used", fmt.Sprint(r.Hints)},
		{"Wrong answers", fmt.Sprint(r.WrongAnswers)},
		{"Score", score},
		{"Record", r.Record},
	}
	if r.Approach != "" {
		rows = append(rows[:len(rows)-2], append([][2]string{{"Fix approach", r.Approach}}, rows[len(rows)-2:]...)...)
	}
	for _, row := range rows {
		fmt.Fprintf(w, "%-14s %s\n", row[0]+":", strings.TrimSpace(row[1]))
	}
	fmt.Fprintln(w, "\nEvents (time from the page):")
	if len(r.Events) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, e := range r.Events {
		fmt.Fprintf(w, "  %s\n", eventLine(e))
	}
	fmt.Fprintln(w)
	if r.Investigation == nil {
		fmt.Fprintf(w, "Investigation: %s\n", r.InvestigationNote)
		return
	}
	v := replayView(*r.Investigation)
	v.Who = "The candidate"
	content.Replay(w, v)
}
