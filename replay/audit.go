package replay

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Sentinel errors of the package.
var (
	// ErrNoAuditLog: the directory holds no audit*.log file.
	ErrNoAuditLog = errors.New("no audit log")
	// ErrUnknownLook: a Step names a look the package does not know.
	ErrUnknownLook = errors.New("unknown look")
	// ErrUnknownKind: a Step names a kind of object the package does not know.
	ErrUnknownKind = errors.New("unknown kind")
	// ErrEmptyPath: an expert path has no step.
	ErrEmptyPath = errors.New("expert path has no step")
	// ErrNoEvidence: no step of an expert path shows the evidence.
	ErrNoEvidence = errors.New("no step of the expert path shows the evidence")
)

// Event is the part of an audit.k8s.io/v1 Event the replay reads, with the
// JSON names kube-apiserver writes (--audit-log-format=json, one per line).
type Event struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	Level      string `json:"level"`
	AuditID    string `json:"auditID"`
	Stage      string `json:"stage"`
	RequestURI string `json:"requestURI"`
	Verb       string `json:"verb"`
	User       User   `json:"user"`
	// ImpersonatedUser is set when the request impersonated someone: that
	// is the identity it acted as.
	ImpersonatedUser *User           `json:"impersonatedUser,omitempty"`
	SourceIPs        []string        `json:"sourceIPs,omitempty"`
	UserAgent        string          `json:"userAgent,omitempty"`
	ObjectRef        *ObjectRef      `json:"objectRef,omitempty"`
	ResponseStatus   *ResponseStatus `json:"responseStatus,omitempty"`
	// RequestObject is the request body, logged at level Request and above.
	RequestObject            json.RawMessage   `json:"requestObject,omitempty"`
	RequestReceivedTimestamp time.Time         `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time         `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`
}

// User is an audit event's user.
type User struct {
	Username string   `json:"username"`
	UID      string   `json:"uid,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// ObjectRef is the object an audit event's request acted on.
type ObjectRef struct {
	Resource        string `json:"resource,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
	UID             string `json:"uid,omitempty"`
	APIGroup        string `json:"apiGroup,omitempty"`
	APIVersion      string `json:"apiVersion,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Subresource     string `json:"subresource,omitempty"`
}

// ResponseStatus is the part of the response's Status the replay reads.
type ResponseStatus struct {
	Code    int    `json:"code,omitempty"`
	Status  string `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// Username is the identity the request acted as: the impersonated user when
// there is one.
func (e Event) Username() string {
	if e.ImpersonatedUser != nil && e.ImpersonatedUser.Username != "" {
		return e.ImpersonatedUser.Username
	}
	return e.User.Username
}

// Code is the response's status code, 0 when the event has none.
func (e Event) Code() int {
	if e.ResponseStatus == nil {
		return 0
	}
	return e.ResponseStatus.Code
}

// Log is what Read found: the completed requests in the order of their
// arrival at the API server, and how many lines could not be read.
type Log struct {
	Events []Event `json:"events"`
	// Skipped counts lines that are not an audit Event (a line cut short
	// by rotation or a crash, or any other text).
	Skipped int `json:"skipped"`
	// Files are the files read, oldest first (ReadDir only).
	Files []string `json:"files,omitempty"`
}

// Audit event stages that end a request; only those count.
const (
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// Read reads JSON lines of audit events. It keeps the events of stage
// ResponseComplete or Panic, skips (and counts) lines it cannot decode, and
// fails only when r does.
func Read(r io.Reader) (Log, error) {
	var l Log
	err := l.read(r)
	l.sort()
	return l, err
}

func (l *Log) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			l.add(line)
		}
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return fmt.Errorf("read audit log: %w", err)
		}
	}
}

func (l *Log) add(line []byte) {
	var e Event
	if err := json.Unmarshal(line, &e); err != nil || e.Kind != "Event" || e.Stage == "" || e.AuditID == "" {
		l.Skipped++
		return
	}
	if e.Stage != StageResponseComplete && e.Stage != StagePanic {
		return
	}
	if e.ObjectRef != nil && e.ObjectRef.Resource == "secrets" && len(e.RequestObject) > 0 {
		e.RequestObject = redact(e.RequestObject)
	}
	l.Events = append(l.Events, e)
}

// sort orders the events by the time the API server received them (a long
// watch completes late but started early); stable, so ties keep the file's
// order.
func (l *Log) sort() {
	sort.SliceStable(l.Events, func(i, j int) bool {
		return l.Events[i].RequestReceivedTimestamp.Before(l.Events[j].RequestReceivedTimestamp)
	})
}

// ReadDir reads every audit log in dir: the current audit.log and the
// rotated audit-<timestamp>.log files kube-apiserver keeps, oldest first.
// Compressed backups (.gz) are not read. It returns ErrNoAuditLog when there
// is none.
func ReadDir(dir string) (Log, error) {
	files, err := LogFiles(dir)
	if err != nil {
		return Log{}, err
	}
	var l Log
	for _, f := range files {
		if err := l.readFile(f); err != nil {
			return l, err
		}
		l.Files = append(l.Files, f)
	}
	l.sort()
	return l, nil
}

func (l *Log) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := l.read(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LogFiles lists dir's audit logs oldest first (see OrderLogFiles).
func LogFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit log directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	names = OrderLogFiles(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoAuditLog)
	}
	for i, n := range names {
		names[i] = filepath.Join(dir, n)
	}
	return names, nil
}

// CurrentLogFile is the file kube-apiserver writes to; it renames a full
// one to audit-<timestamp>.log (audit-2026-12-06T18-04-05.123.log, UTC).
const CurrentLogFile = "audit.log"

// OrderLogFiles keeps the audit logs among file names (base names, as a
// listing of the node's log folder gives them) and orders them oldest
// first: the rotated backups, whose names sort by time, then the current
// file. Compressed backups (.gz) are left out.
func OrderLogFiles(names []string) []string {
	var rotated []string
	current := false
	for _, name := range names {
		switch {
		case name == CurrentLogFile:
			current = true
		case strings.HasPrefix(name, "audit-") && strings.HasSuffix(name, ".log"):
			rotated = append(rotated, name)
		}
	}
	sort.Strings(rotated)
	if current {
		rotated = append(rotated, CurrentLogFile)
	}
	return rotated
}

// keptStrings are the fields whose string values redact keeps: they name
// things, they hold no secret.
var keptStrings = map[string]bool{"apiVersion": true, "kind": true, "name": true, "namespace": true, "op": true, "path": true, "from": true, "type": true, "propagationPolicy": true}

// redact blanks every string value of a Secret's request body but the
// fields that name things, keeping its keys: a policy that logs Secrets'
// bodies (the lab's does not) still shows no value through the replay.
func redact(raw json.RawMessage) json.RawMessage {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	out, err := json.Marshal(redactValue("", v))
	if err != nil {
		return nil
	}
	return out
}

func redactValue(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, el := range x {
			x[k] = redactValue(k, el)
		}
		return x
	case []any:
		for i, el := range x {
			x[i] = redactValue(key, el)
		}
		return x
	case string:
		if keptStrings[key] {
			return x
		}
		return ""
	}
	return v
}
