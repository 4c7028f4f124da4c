package onnx

import (
	"errors"

	ort "github.com/yalue/onnxruntime_go"
)

// On Windows string tensors are filled through the Go binding (SetContents).

func capi() bool { return false }

type levelStrings []string

func newLevelStrings(levels []string) levelStrings { return levels }

func (levelStrings) free() {}

func fillCodes(*ort.StringTensor, levelStrings, []int32) error {
	return errors.New("not available on windows")
}
