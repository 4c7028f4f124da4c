package reconcile

import (
	"encoding/json"
	"fmt"

	"github.com/ferryml/ferry/reconcile/records"
	"github.com/ferryml/ferry/spec"
)

// ActionKind is what an action does.
type ActionKind int

const (
	Train ActionKind = iota + 1
	Evaluate
	Gate
	Register
	Rollout
	AdvanceCanary
	Rollback
	Retire
	ComputeDrift
	Alert
)

var kindNames = [...]string{
	Train: "Train", Evaluate: "Evaluate", Gate: "Gate", Register: "Register", Rollout: "Rollout",
	AdvanceCanary: "AdvanceCanary", Rollback: "Rollback", Retire: "Retire",
	ComputeDrift: "ComputeDrift", Alert: "Alert",
}

// ActionKinds lists every kind in the order a plan executes them.
var ActionKinds = []ActionKind{Train, Evaluate, Gate, Register, Rollout, AdvanceCanary, Rollback, Retire, ComputeDrift, Alert}

func (k ActionKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("ActionKind(%d)", int(k))
}

// IsDestructive reports whether the action takes away something that serves:
// a Rollback drops the canary version, a Retire stops a deployment. Such
// actions never follow from missing input.
func (k ActionKind) IsDestructive() bool { return k == Rollback || k == Retire }

func (k ActionKind) MarshalText() ([]byte, error) {
	if k <= 0 || int(k) >= len(kindNames) {
		return nil, fmt.Errorf("unknown action kind %d", int(k))
	}
	return []byte(k.String()), nil
}

func (k *ActionKind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if i > 0 && n == string(b) {
			*k = ActionKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown action kind %q", b)
}

// Ref names the object an action touches.
type Ref struct {
	Kind spec.Kind `json:"kind"`
	Name string    `json:"name"`
}

func (r Ref) String() string { return string(r.Kind) + "/" + r.Name }

// Action is one step of a plan.
type Action struct {
	Kind   ActionKind `json:"kind"`
	Object Ref        `json:"object"`
	// Reason says which input made the action necessary.
	Reason string `json:"reason"`
	// Writes lists what the action will write: records, artifacts, runtime state.
	Writes []string `json:"writes"`
	// Key is the idempotency key: a hash of the action's inputs. Applying an
	// action whose key is already done does nothing.
	Key string `json:"key"`
	// Needs are the keys of actions that must succeed first.
	Needs []string `json:"needs,omitempty"`
	// Conditional is set when the action happens only if an earlier one allows
	// it (a Register after a Gate).
	Conditional string `json:"conditional,omitempty"`

	Run     *RunPlan     `json:"run,omitempty"`
	Version int          `json:"version,omitempty"`
	Rollout *RolloutPlan `json:"rollout,omitempty"`
	Drift   *DriftPlan   `json:"drift,omitempty"`
}

// Destructive reports whether the action is destructive.
func (a *Action) Destructive() bool { return a.Kind.IsDestructive() }

// RunPlan describes the run that Train, Evaluate, Gate and Register act on.
type RunPlan struct {
	ID         string `json:"id"`
	Experiment string `json:"experiment"`
	Model      string `json:"model"`
	Key        string `json:"key"`
	InputsHash string `json:"inputsHash"`
	SpecHash   string `json:"specHash"`
	Trigger    string `json:"trigger"`
	// Existing is true when the run was trained before and is only re-evaluated.
	Existing bool               `json:"existing,omitempty"`
	Dataset  records.DatasetRef `json:"dataset"`
	// Window is the labelled traffic of a drift window that a drift- or
	// performance-triggered run trains on besides the dataset.
	Window *records.WindowData `json:"window,omitempty"`
	Code   records.Code        `json:"code"`
	// Against is the version serving production that the gate compares with,
	// 0 for a first model.
	Against        int    `json:"against"`
	GateParamsHash string `json:"gateParamsHash"`
}

// RolloutPlan is a change of what a deployment serves.
type RolloutPlan struct {
	Deployment string                `json:"deployment"`
	Model      string                `json:"model"`
	From       []records.LiveVersion `json:"from"`
	To         []records.LiveVersion `json:"to"`
	// AfterRegister is the key of the Register whose version this rollout
	// serves; the rollout is skipped when the gate denies it.
	AfterRegister string          `json:"afterRegister,omitempty"`
	SampleRate    float64         `json:"sampleRate"`
	Canary        *records.Canary `json:"canary,omitempty"`
}

// Note is something the plan wants a reader to know that is not an action: a
// trigger that did not fire, a guard that held, something it could not observe.
type Note struct {
	Object  Ref    `json:"object"`
	Message string `json:"message"`
}

// Plan is the difference between desired and observed state: what to do, in order.
type Plan struct {
	Schema int `json:"schema"`
	// ID identifies the plan: a hash of the desired state, the observed state
	// and the actions.
	ID string `json:"id"`
	// Commit is the revision the specs were read at ("" for a worktree) and
	// RecordsCommit the one the records were read at.
	Commit        string `json:"commit,omitempty"`
	RecordsCommit string `json:"recordsCommit,omitempty"`
	// Desired and Observed hash the two inputs; a saved plan is applied only
	// when both still match.
	Desired  string   `json:"desired"`
	Observed string   `json:"observed"`
	Actions  []Action `json:"actions"`
	Notes    []Note   `json:"notes,omitempty"`
	// Candidates are filled by Preview (ferry plan --evaluate, --pr): each
	// candidate's evaluation against production and its gate decision. Gate
	// sums them up: "allow" when every candidate passed, "deny" when one did
	// not, empty when none was previewed.
	Candidates []*Candidate `json:"candidates,omitempty"`
	Gate       string       `json:"gate,omitempty"`
}

// PlanSchema is the version of the plan's JSON shape.
const PlanSchema = 1

// Changes reports whether the plan has anything to do.
func (p *Plan) Changes() bool { return len(p.Actions) > 0 }

// Count returns how many actions of each kind the plan holds.
func (p *Plan) Count() map[ActionKind]int {
	n := map[ActionKind]int{}
	for _, a := range p.Actions {
		n[a.Kind]++
	}
	return n
}

// Action returns the action with key, or nil.
func (p *Plan) Action(key string) *Action {
	for i := range p.Actions {
		if p.Actions[i].Key == key {
			return &p.Actions[i]
		}
	}
	return nil
}

// ReadPlan decodes a plan saved with WritePlan's JSON.
func ReadPlan(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	if p.Schema != PlanSchema {
		return nil, fmt.Errorf("read plan: schema %d, want %d", p.Schema, PlanSchema)
	}
	return &p, nil
}
