package policy

import (
	_ "embed"

	"github.com/ferryml/ferry/eval"
	"github.com/ferryml/ferry/spec"
)

// Input is the gate's input document, input in Rego.
type Input struct {
	// Candidate is the evaluation report of the version asking for promotion.
	Candidate *eval.Report `json:"candidate"`
	// Production is the report of the version serving production, nil (JSON
	// null) for a first model.
	Production *eval.Report `json:"production"`
	// Params is the Model's gate block.
	Params spec.Gate `json:"params"`
	// Lineage says where the candidate came from.
	Lineage Lineage `json:"lineage"`
}

// Lineage is the data and code history of a candidate. Every field may be empty
// (`ferry gate` on two report files knows none of them) but is always present in
// the input, so rules can compare with "".
type Lineage struct {
	Model string `json:"model"`
	// Version is the version number the candidate would be registered as.
	Version int `json:"version"`
	// ProductionVersion is the version number serving production, 0 for none.
	ProductionVersion int    `json:"productionVersion"`
	Experiment        string `json:"experiment"`
	Run               string `json:"run"`
	// DatasetDigest is "sha256:<hex>" of the dataset the candidate trained on.
	DatasetDigest string `json:"datasetDigest"`
	// CodeCommit is the git commit of the specs and trainer code.
	CodeCommit string `json:"codeCommit"`
	// Trainer is the builtin trainer's name or the exec trainer's command.
	Trainer string `json:"trainer"`
	// ArtifactDigest is "sha256:<hex>" of the candidate's ONNX bytes.
	ArtifactDigest string `json:"artifactDigest"`
}

// InputSchema is the JSON Schema (draft-07) of Input.
//
//go:embed schema/input.schema.json
var InputSchema []byte
