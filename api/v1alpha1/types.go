package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Attempt is one learner's work on one incident. The learner (with crashlab
// or kubectl) writes spec: start, hints, a diagnosis, a check, a give-up.
// The lab's controller judges each request against the live pods and writes
// the outcome in status, sealed so that an edit by anyone else is detected.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=att,categories=crashlab
// +kubebuilder:printcolumn:name="Learner",type=string,JSONPath=`.spec.learner`
// +kubebuilder:printcolumn:name="Incident",type=string,JSONPath=`.spec.incident`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Pods",type=string,JSONPath=`.status.pods`
// +kubebuilder:printcolumn:name="Hints",type=integer,JSONPath=`.status.progress.hints`
// +kubebuilder:printcolumn:name="Wrong",type=integer,JSONPath=`.status.progress.wrongAnswers`,priority=1
// +kubebuilder:printcolumn:name="Score",type=integer,JSONPath=`.status.progress.bestScore`
// +kubebuilder:printcolumn:name="Check",type=string,JSONPath=`.status.check.result`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Attempt struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   AttemptSpec   `json:"spec"`
	Status AttemptStatus `json:"status,omitempty"`
}

// AttemptSpec is what the learner asks for. The trainer's identity creates
// an Attempt with learner, incident and namespace set; those never change.
// Counters only grow, so a request cannot be taken back to undo its cost.
//
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.giveUp) || !oldSelf.giveUp || (has(self.giveUp) && self.giveUp)",message="a give-up cannot be taken back"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.started) || !oldSelf.started || (has(self.started) && self.started)",message="a started attempt stays started"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.hints) || (has(self.hints) && self.hints >= oldSelf.hints)",message="hints asked for cannot be given back"
type AttemptSpec struct {
	// Learner is whose attempt this is.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="the learner of an attempt does not change"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Learner string `json:"learner"`
	// Incident is the incident's id.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="the incident of an attempt does not change"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Incident string `json:"incident"`
	// Namespace is where the incident runs for this learner.
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="the namespace of an attempt does not change"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace"`
	// Started is the learner opening the incident's page: the attempt's
	// clock starts when the controller first sees it.
	// +optional
	Started bool `json:"started,omitempty"`
	// Hints is how many hints the learner asked for.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	Hints int32 `json:"hints,omitempty"`
	// Diagnosis is the learner's latest answers.
	// +optional
	Diagnosis *DiagnosisRequest `json:"diagnosis,omitempty"`
	// Check asks the controller to judge the fix.
	// +optional
	Check *CheckRequest `json:"check,omitempty"`
	// GiveUp asks for the explanation; the attempt then scores nothing.
	// +optional
	GiveUp bool `json:"giveUp,omitempty"`
}

// DiagnosisRequest is one submission of answers.
type DiagnosisRequest struct {
	// Request numbers the submission: the controller judges each number once.
	// +kubebuilder:validation:Minimum=1
	Request int64 `json:"request"`
	// Answers maps a question id to a choice id or a value.
	// +kubebuilder:validation:MaxProperties=20
	Answers map[string]string `json:"answers"`
}

// CheckRequest asks for one check of the fix.
type CheckRequest struct {
	// Request numbers the check: the controller runs each number once.
	// +kubebuilder:validation:Minimum=1
	Request int64 `json:"request"`
	// Withdrawn is the learner no longer waiting (Ctrl-C): the controller
	// stops the check and records it as interrupted, never as passed.
	// +optional
	Withdrawn bool `json:"withdrawn,omitempty"`
	// ReadyTimeoutSeconds bounds the wait for Ready pods (`check --timeout`);
	// zero is the lab's default.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=3600
	// +optional
	ReadyTimeoutSeconds int32 `json:"readyTimeoutSeconds,omitempty"`
}

// The phases of an attempt, in the order a learner goes through them.
const (
	PhaseDeployed  = "Deployed"
	PhaseStarted   = "Started"
	PhaseDiagnosed = "Diagnosed"
	PhaseFixed     = "Fixed"
	PhaseGivenUp   = "GivenUp"
)

// The results of a check.
const (
	CheckRunning     = "Running"
	CheckPassed      = "Passed"
	CheckFailed      = "Failed"
	CheckInterrupted = "Interrupted"
	// CheckError is a check that could not judge (a record missing or
	// altered, the workload unreadable): never a pass.
	CheckError = "Error"
)

// The condition types of an attempt.
const (
	// ConditionChecking is true while a check runs; its message is the
	// check's current step.
	ConditionChecking = "Checking"
	// ConditionHealthy is whether the learner's pods are all ready now.
	ConditionHealthy = "Healthy"
	// ConditionBrokenAgain is a passed fix whose pods are no longer healthy.
	ConditionBrokenAgain = "BrokenAgain"
	// ConditionRequestFailed is true when the last pass over the spec could
	// not answer it (the incident not deployed yet, its record missing);
	// its message says why.
	ConditionRequestFailed = "RequestFailed"
	// ConditionTampered is a status the controller did not write: its seal
	// did not match. It stays true once seen.
	ConditionTampered = "Tampered"
)

// AttemptStatus is what the lab decided. Only the controller writes it.
type AttemptStatus struct {
	// ObservedGeneration is the spec generation the status answers.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	Phase string `json:"phase,omitempty"`
	// Page is the incident's page as the learner reads it.
	// +optional
	Page string `json:"page,omitempty"`
	// Questions are the diagnosis questions with this attempt's order of
	// choices (what the learner sees; never what makes a choice right).
	// +optional
	Questions []Question `json:"questions,omitempty"`
	// Hints are the texts of the hints given so far.
	// +optional
	Hints []string `json:"hints,omitempty"`
	// Diagnosis is the verdict of the latest judged submission.
	// +optional
	Diagnosis *Verdict `json:"diagnosis,omitempty"`
	// Check is the latest check.
	// +optional
	Check *CheckStatus `json:"check,omitempty"`
	// Explanation is the cause, given once the attempt is fixed or given up.
	// +optional
	Explanation string `json:"explanation,omitempty"`
	// Progress is the attempt's record: times, counters, score.
	// +optional
	Progress Progress `json:"progress,omitempty"`
	// Pods is what the learner's pods show now, as one line.
	// +optional
	Pods string `json:"pods,omitempty"`
	// Investigation is the learner's investigation of the attempt, from
	// the cluster's audit log; absent where the controller reads none.
	// +optional
	Investigation *Investigation `json:"investigation,omitempty"`
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Seal is the controller's signature of this status; a status whose seal
	// does not match was written by someone else.
	// +optional
	Seal string `json:"seal,omitempty"`
}

// Investigation is what the learner looked at and changed in the attempt,
// as `crashlab replay` shows it. It is feedback: nothing in it is judged.
type Investigation struct {
	// Recent are the learner's last few looks and writes, oldest first,
	// each as its time from the page and command ("+1m5s kubectl logs X
	// --previous"): what the trainer's board shows.
	// +optional
	Recent []string `json:"recent,omitempty"`
	// Looks and Writes count the learner's requests as commands.
	// +optional
	Looks int32 `json:"looks,omitempty"`
	// +optional
	Writes int32 `json:"writes,omitempty"`
	// Replay is the whole replay, as `crashlab replay -o json` prints it:
	// the evidence marks and the expert path only once the attempt is over.
	// +optional
	Replay string `json:"replay,omitempty"`
}

// Question is a diagnosis question as the learner sees it.
type Question struct {
	ID     string `json:"id"`
	Prompt string `json:"prompt"`
	// +optional
	Fact string `json:"fact,omitempty"`
	// +optional
	Choices []Choice `json:"choices,omitempty"`
}

// Choice is one answer a question offers.
type Choice struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Verdict is the outcome of judging a diagnosis or a fix.
type Verdict struct {
	// Request is the spec request number this verdict answers.
	Request int64 `json:"request"`
	Passed  bool  `json:"passed"`
	// +optional
	Checks []CheckResult `json:"checks,omitempty"`
	// Approach names the accepted fix the learner used.
	// +optional
	Approach string `json:"approach,omitempty"`
	// Error is why the request could not be judged (the incident not
	// deployed, its record missing): not a verdict the learner earned.
	// +optional
	Error string `json:"error,omitempty"`
}

// CheckResult is one named check with the sentence a learner reads.
type CheckResult struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// +optional
	Message string `json:"message,omitempty"`
}

// CheckStatus is one check of the fix.
type CheckStatus struct {
	// Request is the spec request number this check answers.
	Request int64 `json:"request"`
	// Result is Running, Passed, Failed, Interrupted or Error.
	Result string `json:"result"`
	// Step is what the running check waits for now.
	// +optional
	Step string `json:"step,omitempty"`
	// Reason explains an Interrupted or Error result.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Holder is the controller pod that runs the check; a check held by a
	// pod that is gone is interrupted, never passed.
	// +optional
	Holder string `json:"holder,omitempty"`
	// +optional
	Verdict *Verdict `json:"verdict,omitempty"`
	// +optional
	StartedAt *metav1.MicroTime `json:"startedAt,omitempty"`
	// +optional
	FinishedAt *metav1.MicroTime `json:"finishedAt,omitempty"`
}

// Progress is the attempt's record, as the local progress file keeps it
// for self-paced learners.
type Progress struct {
	// +optional
	Started *metav1.MicroTime `json:"started,omitempty"`
	// +optional
	Diagnosed *metav1.MicroTime `json:"diagnosed,omitempty"`
	// +optional
	Fixed *metav1.MicroTime `json:"fixed,omitempty"`
	// +optional
	GivenUp *metav1.MicroTime `json:"givenUp,omitempty"`
	// +optional
	Approach string `json:"approach,omitempty"`
	// +optional
	Hints int32 `json:"hints,omitempty"`
	// +optional
	WrongAnswers int32 `json:"wrongAnswers,omitempty"`
	// +optional
	BestScore int32 `json:"bestScore,omitempty"`
	// DiagnosedAfter and FixedAfter are seconds from the start.
	// +optional
	DiagnosedAfterSeconds int64 `json:"diagnosedAfterSeconds,omitempty"`
	// +optional
	FixedAfterSeconds int64 `json:"fixedAfterSeconds,omitempty"`
	// Commands are the lab's commands the controller answered in the
	// current attempt (start, hint, diagnose, check, give-up), oldest
	// first: the replay shows them beside the learner's requests.
	// +optional
	// +kubebuilder:validation:MaxItems=200
	Commands []LabCommand `json:"commands,omitempty"`
}

// LabCommand is one lab command and when it was answered.
type LabCommand struct {
	At   metav1.MicroTime `json:"at"`
	Name string           `json:"name"`
}

// AttemptList is a list of attempts.
//
// +kubebuilder:object:root=true
type AttemptList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Attempt `json:"items"`
}

// Workshop is a room: its learners and incidents, and a summary of their
// attempts that the controller keeps.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ws,categories=crashlab
// +kubebuilder:printcolumn:name="Learners",type=integer,JSONPath=`.status.learners`
// +kubebuilder:printcolumn:name="Attempts",type=integer,JSONPath=`.status.attempts`
// +kubebuilder:printcolumn:name="Diagnosed",type=integer,JSONPath=`.status.diagnosed`
// +kubebuilder:printcolumn:name="Fixed",type=integer,JSONPath=`.status.fixed`
// +kubebuilder:printcolumn:name="Broken-Again",type=integer,JSONPath=`.status.brokenAgain`
// +kubebuilder:printcolumn:name="Tampered",type=integer,JSONPath=`.status.tampered`
// +kubebuilder:printcolumn:name="Expires",type=date,JSONPath=`.spec.expires`
type Workshop struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   WorkshopSpec   `json:"spec"`
	Status WorkshopStatus `json:"status,omitempty"`
}

// WorkshopSpec is the room as the trainer made it.
type WorkshopSpec struct {
	// +kubebuilder:validation:MaxItems=10000
	Learners []string `json:"learners"`
	// +kubebuilder:validation:MaxItems=100
	Incidents []string `json:"incidents"`
	// Expires is when the learners' tokens stop working.
	// +optional
	Expires *metav1.Time `json:"expires,omitempty"`
}

// WorkshopStatus sums up the room's attempts.
type WorkshopStatus struct {
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// +optional
	Learners int32 `json:"learners,omitempty"`
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// +optional
	Started int32 `json:"started,omitempty"`
	// +optional
	Diagnosed int32 `json:"diagnosed,omitempty"`
	// +optional
	Fixed int32 `json:"fixed,omitempty"`
	// +optional
	GivenUp int32 `json:"givenUp,omitempty"`
	// +optional
	BrokenAgain int32 `json:"brokenAgain,omitempty"`
	// +optional
	Tampered int32 `json:"tampered,omitempty"`
	// PerLearner is each learner's count of fixed incidents and score.
	// +optional
	// +listType=map
	// +listMapKey=learner
	PerLearner []LearnerSummary `json:"perLearner,omitempty"`
}

// LearnerSummary is one learner's line of the room.
type LearnerSummary struct {
	Learner string `json:"learner"`
	// +optional
	Fixed int32 `json:"fixed,omitempty"`
	// +optional
	Diagnosed int32 `json:"diagnosed,omitempty"`
	// +optional
	Score int32 `json:"score,omitempty"`
}

// WorkshopList is a list of workshops.
//
// +kubebuilder:object:root=true
type WorkshopList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Workshop `json:"items"`
}
