package replay

import (
	"sort"
	"strings"
	"time"
)

// Window is how close in time the requests of one kubectl command are: a
// command sends its requests one after the other, well within it.
const Window = 2 * time.Second

// Source says who made a timeline entry.
type Source string

// Sources of entries.
const (
	// SourceKubectl: a kubectl command, recognised from its requests.
	SourceKubectl Source = "kubectl"
	// SourceClient: a request of another client, or of kubectl that fits
	// no command the replay knows, shown as the raw request.
	SourceClient Source = "client"
	// SourceLab: a command of the lab itself (crashlab hint, ...), recorded
	// by the lab.
	SourceLab Source = "lab"
)

// Actions of a Look.
const (
	ActionGet            = "get"
	ActionDescribe       = "describe"
	ActionLogs           = "logs"
	ActionEvents         = "events"
	ActionExec           = "exec"
	ActionAttach         = "attach"
	ActionPortForward    = "port-forward"
	ActionRolloutStatus  = "rollout-status"
	ActionRolloutHistory = "rollout-history"
	ActionTop            = "top"
	ActionRolloutUndo    = "rollout-undo"
	ActionEdit           = "edit"
	ActionPatch          = "patch"
	ActionApply          = "apply"
	ActionSet            = "set"
	ActionRolloutRestart = "rollout-restart"
	ActionRollout        = "rollout"
	ActionScale          = "scale"
	ActionDelete         = "delete"
	ActionCreate         = "create"
	ActionReplace        = "replace"
	ActionLabel          = "label"
	ActionAnnotate       = "annotate"
	ActionRun            = "run"
	ActionDebug          = "debug"
	ActionWrite          = "write" // a write of another kind
)

// Look is what an entry looked at or changed, in the form an expert
// path's Step matches.
type Look struct {
	Action string `json:"action"`
	// Kind is the singular lowercase kind (pod, deployment, secret,
	// event); "" for a lab command.
	Kind string `json:"kind,omitempty"`
	// Name is the object's name, "" for a list.
	Name string `json:"name,omitempty"`
	// Previous: logs of the previous run (--previous).
	Previous bool `json:"previous,omitempty"`
	// Container is the container of logs or exec; kubectl always sends
	// one, its default container when -c is not given.
	Container string `json:"container,omitempty"`
}

// Ref names an object an entry touched.
type Ref struct {
	Kind string `json:"kind"`
	Name string `json:"name,omitempty"`
	// Namespace is "" for cluster-scoped objects and lists across all
	// namespaces.
	Namespace string `json:"namespace,omitempty"`
}

func (r Ref) String() string {
	if r.Name == "" {
		return r.Kind
	}
	return r.Kind + "/" + r.Name
}

// Entry is one step of the timeline: a command, or a raw request no
// command explains.
type Entry struct {
	// Time is when the API server received its first request (or when the
	// lab ran the command).
	Time time.Time `json:"time"`
	// Since is Time less the page.
	Since  time.Duration `json:"since"`
	Source Source        `json:"source"`
	// Command is the kubectl command that most likely made the requests
	// ("kubectl logs orders-api-7d9c-x2x4q --previous"), the lab's
	// command ("crashlab hint"), or the raw request ("GET pods/X/log").
	Command string `json:"command"`
	// Recognised is false for a raw request.
	Recognised bool  `json:"recognised"`
	Look       Look  `json:"look"`
	Touched    []Ref `json:"touched,omitempty"`
	// Write tells whether the entry changed an object.
	Write bool `json:"write,omitempty"`
	// WrittenAt is when the API server received the write (kubectl edit
	// writes long after its read, which is Time); zero for a look.
	WrittenAt time.Time `json:"writtenAt,omitzero"`
	// Changes are what a write set, when the audit log holds its body.
	Changes []Change `json:"changes,omitempty"`
	// Repeats counts the times the same look was made again right after
	// (within RepeatGap of the one before); Until is the last of them.
	Repeats int       `json:"repeats,omitempty"`
	Until   time.Time `json:"until,omitzero"`
	// Code is the highest status code of its requests (0: none logged).
	Code int    `json:"code,omitempty"`
	User string `json:"user,omitempty"`
	// Requests are the requests the entry groups, in order.
	Requests []Request `json:"requests,omitempty"`
}

// Failed tells whether a request of the entry was refused or failed.
func (e Entry) Failed() bool { return e.Code >= 400 }

// LabCommand is a command of the lab the lab recorded itself.
type LabCommand struct {
	Time time.Time `json:"time"`
	// Command is the lab's command, as "status", "hint" or "crashlab hint".
	Command string `json:"command"`
}

// Timeline is an investigation from the page on.
type Timeline struct {
	Page    time.Time `json:"page"`
	Entries []Entry   `json:"entries"`
}

// Counts are a timeline's entries by kind: the learner's looks and writes,
// and the lab's commands they ran.
type Counts struct {
	Looks, Writes, LabCommands int
}

// Count counts the timeline's entries.
func (t Timeline) Count() Counts {
	var c Counts
	for _, e := range t.Entries {
		switch {
		case e.Source == SourceLab:
			c.LabCommands++
		case e.Write:
			c.Writes++
		default:
			c.Looks++
		}
	}
	return c
}

// Build makes the timeline of the events (already filtered: Filter.Apply)
// and of the lab's own commands, in time order from the page.
func Build(events []Event, page time.Time, lab []LabCommand) Timeline {
	type key struct{ user, agent string }
	var order []key
	streams := map[key][]Request{}
	for _, e := range events {
		r := NewRequest(e)
		k := key{r.User, r.UserAgent}
		if _, ok := streams[k]; !ok {
			order = append(order, k)
		}
		streams[k] = append(streams[k], r)
	}
	var entries []Entry
	for _, k := range order {
		s := streams[k]
		sort.SliceStable(s, func(i, j int) bool { return s[i].Time.Before(s[j].Time) })
		entries = append(entries, group(s)...)
	}
	for _, c := range lab {
		cmd := strings.TrimSpace(c.Command)
		if !strings.HasPrefix(cmd, "crashlab") {
			cmd = "crashlab " + cmd
		}
		fields := strings.Fields(cmd)
		action := ""
		if len(fields) > 1 {
			action = fields[1]
		}
		entries = append(entries, Entry{Time: c.Time, Source: SourceLab, Command: cmd, Recognised: true, Look: Look{Action: action}})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].Time.Before(entries[j].Time) })
	for i := range entries {
		entries[i].Since = entries[i].Time.Sub(page)
	}
	return Timeline{Page: page, Entries: entries}
}

// IsKubectl tells whether a user agent is kubectl's
// ("kubectl/v1.34.1 (linux/amd64) kubernetes/abc123").
func IsKubectl(userAgent string) bool { return strings.HasPrefix(userAgent, "kubectl/") }

// DescribeGap bounds the time between describe's two reads of its object,
// which kubectl makes back to back: two reads further apart are two gets
// (watch kubectl get pod X).
const DescribeGap = 500 * time.Millisecond

// EditWindow is how long kubectl edit may keep its editor open: its write
// comes that long at most after its read of the object.
const EditWindow = 30 * time.Minute

// group turns one client's requests into entries.
func group(s []Request) []Entry {
	edits := editReads(s)
	read := map[int]bool{}
	for _, j := range edits {
		read[j] = true
	}
	var out []Entry
	for i := 0; i < len(s); {
		switch j, ok := edits[i]; {
		case read[i]:
			i++ // kubectl edit's read: shown with its write
			continue
		case ok:
			out = append(out, writeEntry([]Request{s[j], s[i]}))
			i++
			continue
		case !IsKubectl(s[i].UserAgent):
			out = append(out, raw(s[i]))
			i++
			continue
		}
		end := i + 1
		for end < len(s) && s[end].Time.Sub(s[i].Time) <= Window && !read[end] {
			if _, ok := edits[end]; ok {
				break
			}
			end++
		}
		e, n := recognise(s[i:end])
		i += n
		if k := len(out) - 1; k >= 0 && repeats(out[k], e) {
			out[k].Repeats++
			out[k].Until = e.Time
			out[k].Requests = append(out[k].Requests, e.Requests...)
			out[k].Code = max(out[k].Code, e.Code)
			continue
		}
		out = append(out, e)
	}
	return out
}

// RepeatGap is how soon the same look must come again to be counted as a
// repeat of the entry before (`watch kubectl get pods` runs it every 2s)
// rather than shown again.
const RepeatGap = 10 * time.Second

// repeats tells whether e is the look prev shows, made again within
// RepeatGap of its last run.
func repeats(prev, e Entry) bool {
	last := prev.Time
	if !prev.Until.IsZero() {
		last = prev.Until
	}
	return !prev.Write && !e.Write && prev.Recognised && e.Command == prev.Command && e.Time.Sub(last) <= RepeatGap
}

// editReads pairs each write of kubectl edit (by index in s) with the
// read of the object it made before opening the editor: the nearest
// earlier lone read of the object within EditWindow.
func editReads(s []Request) map[int]int {
	out := map[int]int{}
	taken := map[int]bool{}
	for i, w := range s {
		if !w.IsWrite() || w.Query["fieldManager"] != "kubectl-edit" || !IsKubectl(w.UserAgent) {
			continue
		}
		for j := i - 1; j >= 0 && w.Time.Sub(s[j].Time) <= EditWindow; j-- {
			if !s[j].isGetOf(w.Resource, w.Name) || taken[j] {
				continue
			}
			// describe's reads come in pairs, with the events after them.
			if j > 0 && s[j-1].isGetOf(w.Resource, w.Name) && s[j].Time.Sub(s[j-1].Time) <= Window ||
				j+1 < i && (s[j+1].isGetOf(w.Resource, w.Name) || s[j+1].isEventsFor(w.Name)) && s[j+1].Time.Sub(s[j].Time) <= Window {
				break
			}
			out[i], taken[j] = j, true
			break
		}
	}
	return out
}

// raw is the entry of a request no command explains; its Look still says
// what it read, so that a look made with another client counts.
func raw(r Request) Entry {
	e := newEntry(r.String(), false, rawLook(r), r)
	e.Source = SourceClient
	if r.IsWrite() {
		e.Write, e.Changes, e.WrittenAt = true, changesOf(r), r.Time
	}
	return e
}

func rawLook(r Request) Look {
	l := Look{Kind: kindOf(r.Resource), Name: r.Name}
	switch {
	case r.Subresource == "log":
		l.Action, l.Kind, l.Previous, l.Container = ActionLogs, "pod", r.Query["previous"] == "true", r.Query["container"]
	case r.Subresource == "exec":
		l.Action, l.Container = ActionExec, r.Query["container"]
	case r.Subresource == "attach":
		l.Action = ActionAttach
	case r.Subresource == "portforward":
		l.Action = ActionPortForward
	case r.Resource == "events" && r.isRead():
		l.Action = ActionEvents
	case r.isRead():
		l.Action = ActionGet
	case r.Verb == "delete" || r.Verb == "deletecollection":
		l.Action = ActionDelete
	case r.Verb == "create":
		l.Action = ActionCreate
	default:
		l.Action = ActionWrite
	}
	return l
}

func newEntry(command string, recognised bool, look Look, reqs ...Request) Entry {
	e := Entry{Time: reqs[0].Time, Source: SourceKubectl, Command: command, Recognised: recognised, Look: look, User: reqs[0].User, Requests: reqs}
	for _, r := range reqs {
		e.Code = max(e.Code, r.Code)
		ref := Ref{Kind: kindOf(r.Resource), Name: r.Name, Namespace: r.Namespace}
		if !containsRef(e.Touched, ref) {
			e.Touched = append(e.Touched, ref)
		}
	}
	return e
}

func containsRef(refs []Ref, r Ref) bool {
	for _, x := range refs {
		if x == r {
			return true
		}
	}
	return false
}

// recognise finds the kubectl command that starts with w[0] and made some
// of the requests that follow; it returns the entry and how many requests
// of w it explains (at least one).
func recognise(w []Request) (Entry, int) {
	r := w[0]
	switch {
	case r.APIGroup == "metrics.k8s.io" && r.isRead():
		// kubectl top: the metrics API's pods and nodes.
		cmd := "kubectl top " + kindOf(r.Resource)
		if r.Name != "" {
			cmd += " " + r.Name
		}
		return newEntry(cmd, true, Look{Action: ActionTop, Kind: kindOf(r.Resource), Name: r.Name}, r), 1
	case r.Verb == "get" && r.Name != "" && r.Subresource == "":
		return fromGet(w)
	case r.Verb == "get" && r.Subresource == "log":
		return logsEntry(r, "", w[:1]), 1
	case isStream(r.Subresource):
		return streamEntry(r, w[:1]), 1
	case r.Verb == "list" || r.Verb == "watch":
		return fromList(w)
	case r.Verb == "delete" && r.Name != "":
		n := 1
		for n < len(w) && (w[n].Verb == "list" || w[n].Verb == "watch") && w[n].Resource == r.Resource && w[n].fieldName("metadata.name") == r.Name {
			n++ // --wait: kubectl watches the object until it is gone
		}
		e := newEntry("kubectl delete "+kindOf(r.Resource)+" "+r.Name, true, Look{Action: ActionDelete, Kind: kindOf(r.Resource), Name: r.Name}, w[:n]...)
		e.Write, e.WrittenAt = true, r.Time
		return e, n
	case r.IsWrite():
		return writeEntry(w[:1]), 1
	}
	return raw(r), 1
}

// fromGet recognises the commands that start by reading one object: get,
// describe, logs, exec, edit, apply, set, rollout, scale.
func fromGet(w []Request) (Entry, int) {
	r := w[0]
	kind := kindOf(r.Resource)
	n := 1
	for n < len(w) && w[n].isGetOf(r.Resource, r.Name) && w[n].Time.Sub(w[n-1].Time) <= DescribeGap {
		n++ // describe reads the object twice (its builder, then the describer)
	}
	gets := n
	// describe: the object, then what its describer lists (replica sets,
	// pods, endpoints), the object's events among them.
	if end, ok := describeEnd(w, n, r); ok {
		return newEntry("kubectl describe "+kind+" "+r.Name, true, Look{Action: ActionDescribe, Kind: kind, Name: r.Name}, w[:end]...), end
	}
	if n < len(w) {
		next := w[n]
		switch {
		case r.Resource == "pods" && next.Resource == "pods" && next.Name == r.Name && next.Subresource == "log":
			return logsEntry(next, "", w[:n+1]), n + 1
		case r.Resource == "pods" && next.Resource == "pods" && next.Name == r.Name && isStream(next.Subresource):
			return streamEntry(next, w[:n+1]), n + 1
		case workloadResources[r.Resource] && next.Resource == "pods" && next.Verb == "list" && next.Query["labelSelector"] != "" &&
			n+1 < len(w) && w[n+1].Resource == "pods" && w[n+1].Subresource == "log":
			// kubectl logs deploy/X: the workload, its pods, one pod's log.
			return logsEntry(w[n+1], kind+"/"+r.Name, w[:n+2]), n + 2
		case workloadResources[r.Resource] && next.Verb == "list" && next.Resource == "replicasets" && next.Query["labelSelector"] != "":
			// kubectl rollout undo: the Deployment, its replica sets, the
			// patch back to the older template; without the patch, history.
			if n+1 < len(w) && w[n+1].Verb == "patch" && w[n+1].Resource == r.Resource && w[n+1].Name == r.Name && w[n+1].Query["fieldManager"] == "" {
				e := newEntry("kubectl rollout undo "+kind+"/"+r.Name, true, Look{Action: ActionRolloutUndo, Kind: kind, Name: r.Name}, w[:n+2]...)
				e.Write, e.WrittenAt, e.Changes = true, w[n+1].Time, changesOf(w[n+1])
				return e, n + 2
			}
			return newEntry("kubectl rollout history "+kind+"/"+r.Name, true, Look{Action: ActionRolloutHistory, Kind: kind, Name: r.Name}, w[:n+1]...), n + 1
		case (next.Verb == "list" || next.Verb == "watch") && next.Resource == r.Resource && next.fieldName("metadata.name") == r.Name:
			end := n + 1
			for end < len(w) && (w[end].Verb == "list" || w[end].Verb == "watch") && w[end].Resource == r.Resource && w[end].fieldName("metadata.name") == r.Name {
				end++
			}
			return newEntry("kubectl rollout status "+kind+"/"+r.Name, true, Look{Action: ActionRolloutStatus, Kind: kind, Name: r.Name}, w[:end]...), end
		case next.IsWrite() && next.Verb != "delete" && next.Resource == r.Resource && next.Name == r.Name && gets == 1 && recognisedWrite(next):
			return writeEntry(w[:n+1]), n + 1
		case next.Verb == "create" && r.Code == 404 && next.Resource == r.Resource && next.Query["fieldManager"] == "kubectl-client-side-apply":
			return writeEntry(w[:n+1]), n + 1 // apply of an object that did not exist
		}
	}
	if gets >= 2 {
		// describe of a kind whose describer lists nothing (a Secret).
		return newEntry("kubectl describe "+kind+" "+r.Name, true, Look{Action: ActionDescribe, Kind: kind, Name: r.Name}, w[:gets]...), gets
	}
	return newEntry("kubectl get "+kind+" "+r.Name, true, Look{Action: ActionGet, Kind: kind, Name: r.Name}, r), 1
}

// describeEnd finds the events list of r's object after w[:n] (skipping
// what a describer reads before it) and returns the end of the describe's
// requests.
func describeEnd(w []Request, n int, r Request) (int, bool) {
	for i := n; i < len(w); i++ {
		if w[i].isEventsFor(r.Name) {
			end := i + 1
			for end < len(w) && describerRead(w[end], r) {
				end++
			}
			return end, true
		}
		if !describerRead(w[i], r) {
			return 0, false
		}
	}
	return 0, false
}

// describerRead tells whether a request is one a describer of r's object
// makes besides reading it: the object again, its events, the lists of
// its replica sets or pods (by label, or by node for a node), its
// endpoints.
func describerRead(x, r Request) bool {
	switch {
	case x.isGetOf(r.Resource, r.Name), x.isEventsFor(r.Name):
		return true
	case x.Verb == "list" && (x.Query["labelSelector"] != "" || x.fieldName("spec.nodeName") != ""):
		return x.Resource != "events"
	case x.Verb == "get" && x.Subresource == "" && x.Name == r.Name && (x.Resource == "endpoints" || x.Resource == "leases"):
		return true
	}
	return false
}

func logsEntry(lr Request, object string, reqs []Request) Entry {
	if object == "" {
		object = lr.Name
	}
	cmd := "kubectl logs " + object
	prev := lr.Query["previous"] == "true"
	if prev {
		cmd += " --previous"
	}
	if lr.Query["follow"] == "true" {
		cmd += " -f"
	}
	if t := lr.Query["tailLines"]; t != "" {
		cmd += " --tail=" + t
	}
	return newEntry(cmd, true, Look{Action: ActionLogs, Kind: "pod", Name: lr.Name, Previous: prev, Container: lr.Query["container"]}, reqs...)
}

func streamEntry(sr Request, reqs []Request) Entry {
	l := rawLook(sr)
	cmd := "kubectl " + l.Action + " " + sr.Name
	if l.Action == ActionExec && l.Container != "" {
		cmd += " -c " + l.Container
	}
	return newEntry(cmd, true, l, reqs...)
}

// fromList recognises the commands that start with a list: get (-l, -A,
// -w, --field-selector), get events, get all, logs -l.
func fromList(w []Request) (Entry, int) {
	r := w[0]
	if n := getAll(w); n > 0 {
		return newEntry("kubectl get all", true, Look{Action: ActionGet, Kind: "all"}, w[:n]...), n
	}
	if r.Resource == "pods" && r.Query["labelSelector"] != "" && len(w) > 1 && w[1].Resource == "pods" && w[1].Subresource == "log" {
		n := 2
		for n < len(w) && w[n].Resource == "pods" && w[n].Subresource == "log" {
			n++
		}
		e := logsEntry(w[1], "-l "+r.Query["labelSelector"], w[:n])
		return e, n
	}
	if n := describeList(w); n > 0 {
		cmd := "kubectl describe " + r.Resource
		if sel := r.Query["labelSelector"]; sel != "" {
			cmd += " -l " + sel
		}
		return newEntry(cmd, true, Look{Action: ActionDescribe, Kind: kindOf(r.Resource), Name: w[1].Name}, w[:n]...), n
	}
	n := 1
	if r.Verb == "list" && len(w) > 1 && w[1].Verb == "watch" && w[1].Resource == r.Resource && w[1].Query["labelSelector"] == r.Query["labelSelector"] && w[1].Query["fieldSelector"] == r.Query["fieldSelector"] {
		n = 2
	}
	cmd := "kubectl get " + r.Resource
	action := ActionGet
	if r.Resource == "events" {
		action = ActionEvents
	}
	look := Look{Action: action, Kind: kindOf(r.Resource)}
	if name := r.fieldName("involvedObject.name"); name != "" && r.Resource == "events" {
		look.Name = name
		if kind := r.fieldName("involvedObject.kind"); kind != "" && r.fieldName("involvedObject.apiVersion") != "" {
			// kubectl events --for kind/name selects by kind, version and name.
			cmd := "kubectl events --for " + strings.ToLower(kind) + "/" + name
			if n == 2 || r.Verb == "watch" {
				cmd += " -w"
			}
			return newEntry(cmd, true, look, w[:n]...), n
		}
	}
	if r.Namespace == "" && namespacedLooks[r.Resource] {
		cmd += " -A"
	}
	if name := r.fieldName("metadata.name"); name != "" && len(r.selector("fieldSelector")) == 1 && r.Resource != "events" {
		// kubectl get pod X -w lists and watches the one object.
		cmd = "kubectl get " + look.Kind + " " + name
		look.Name = name
	} else {
		if s := r.Query["labelSelector"]; s != "" {
			cmd += " -l " + s
		}
		if s := r.Query["fieldSelector"]; s != "" {
			cmd += " --field-selector " + s
		}
	}
	if n == 2 || r.Verb == "watch" {
		cmd += " -w"
	}
	return newEntry(cmd, true, look, w[:n]...), n
}

// describeList returns how many requests of kubectl describe of several
// objects (describe pods, describe pod -l app=x) start w, 0 when it is not
// one: a list, then for each object its reads and its events.
func describeList(w []Request) int {
	r := w[0]
	if r.Verb != "list" || r.Resource == "events" || len(w) < 3 || !w[1].isGetOf(r.Resource, w[1].Name) || w[1].Name == "" {
		return 0
	}
	n := 1
	for n < len(w) && w[n].isGetOf(r.Resource, w[n].Name) && w[n].Name != "" {
		end, ok := describeEnd(w, n+1, w[n])
		if !ok {
			break
		}
		n = end
	}
	if n == 1 {
		return 0
	}
	return n
}

// getAllResources are what kubectl get all lists.
var getAllResources = map[string]bool{
	"pods": true, "services": true, "daemonsets": true, "deployments": true, "replicasets": true,
	"statefulsets": true, "horizontalpodautoscalers": true, "jobs": true, "cronjobs": true, "replicationcontrollers": true,
}

// getAll returns how many requests of kubectl get all start w (0: it is
// not one): lists of at least five of its resources in a row.
func getAll(w []Request) int {
	seen := map[string]bool{}
	n := 0
	for n < len(w) && w[n].Verb == "list" && getAllResources[w[n].Resource] && !seen[w[n].Resource] {
		seen[w[n].Resource] = true
		n++
	}
	if n >= 5 {
		return n
	}
	return 0
}

// writeEntry is the entry of a write (reqs ends with it, after the reads
// of the same command): the kubectl command writeCommand names, or the raw
// request.
func writeEntry(reqs []Request) Entry {
	r := reqs[len(reqs)-1]
	action, cmd, changes := writeCommand(r)
	if cmd == "" {
		return raw(r)
	}
	e := newEntry(cmd, true, Look{Action: action, Kind: kindOf(r.Resource), Name: r.Name}, reqs...)
	e.Write, e.Changes, e.WrittenAt = true, changes, r.Time
	return e
}

// writeCommand names the kubectl command of a write from its field
// manager (kubectl-edit, kubectl-set, ...), its subresource and what it
// changed; cmd is "" when none fits.
func writeCommand(r Request) (action, cmd string, changes []Change) {
	kind := kindOf(r.Resource)
	obj := kind + " " + r.Name
	changes = changesOf(r)
	switch fm := r.Query["fieldManager"]; {
	case r.Subresource == "scale":
		action, cmd = ActionScale, "kubectl scale "+kind+"/"+r.Name
		if n, ok := replicas(r); ok {
			cmd += " --replicas=" + n
		}
	case r.Subresource == "ephemeralcontainers" && r.Resource == "pods":
		action, cmd = ActionDebug, "kubectl debug "+r.Name
	case r.Subresource != "":
	case fm == "kubectl-edit":
		action, cmd = ActionEdit, "kubectl edit "+obj
	case fm == "kubectl-rollout" && hasPath(changes, restartedAt):
		action, cmd = ActionRolloutRestart, "kubectl rollout restart "+kind+"/"+r.Name
	case fm == "kubectl-rollout":
		action, cmd = ActionRollout, "kubectl rollout "+rolloutVerb(changes)+" "+kind+"/"+r.Name
	case fm == "kubectl-set":
		action, cmd = ActionSet, "kubectl set "+setWhat(changes)+" "+kind+"/"+r.Name
	case fm == "kubectl-client-side-apply":
		action, cmd = ActionApply, "kubectl apply # "+obj
	case fm == "kubectl" && r.Verb == "patch":
		action, cmd = ActionApply, "kubectl apply --server-side # "+obj
	case fm == "kubectl-patch":
		action, cmd = ActionPatch, "kubectl patch "+obj
	case fm == "kubectl-create":
		action, cmd = ActionCreate, "kubectl create "+obj
	case fm == "kubectl-replace":
		action, cmd = ActionReplace, "kubectl replace # "+obj
	case fm == "kubectl-label":
		action, cmd = ActionLabel, "kubectl label "+obj
	case fm == "kubectl-annotate":
		action, cmd = ActionAnnotate, "kubectl annotate "+obj
	case fm == "kubectl-run":
		action, cmd = ActionRun, "kubectl run "+r.Name
	}
	return action, cmd, changes
}

func recognisedWrite(r Request) bool {
	_, cmd, _ := writeCommand(r)
	return cmd != ""
}

const restartedAt = `spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"]`

func hasPath(cs []Change, path string) bool {
	for _, c := range cs {
		if c.Path == path {
			return true
		}
	}
	return false
}

func rolloutVerb(cs []Change) string {
	for _, c := range cs {
		if c.Path == "spec.paused" {
			if c.Value == "true" {
				return "pause"
			}
			return "resume"
		}
	}
	return "…"
}

// setWhat is the kubectl set subcommand that makes such changes.
func setWhat(cs []Change) string {
	for _, c := range cs {
		switch {
		case strings.HasSuffix(c.Path, ".image"):
			return "image"
		case strings.Contains(c.Path, ".env["), strings.Contains(c.Path, ".envFrom"):
			return "env"
		case strings.Contains(c.Path, ".resources."):
			return "resources"
		case strings.Contains(c.Path, "serviceAccountName"):
			return "serviceaccount"
		}
	}
	return "…"
}
