package spec

import "reflect"

// BuiltinTrainers are the names a trainer's builtin may take.
var BuiltinTrainers = []string{TrainerLogisticRegression, TrainerLinearRegression, TrainerGradientBoosting}

// DriftTests are the statistical tests a Monitor may use.
var DriftTests = []string{TestPSI, TestKS, TestJS, TestWasserstein, TestChi2}

// enums lists the allowed values of the string types whose values are a closed set.
// The decoder checks them, and the JSON Schema lists them.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[Kind]():         kindNames(),
	reflect.TypeFor[CommitMode]():   {string(CommitPullRequest), string(CommitDirect)},
	reflect.TypeFor[RuntimeKind]():  {string(RuntimeLocal), string(RuntimeKServe)},
	reflect.TypeFor[Format]():       {string(FormatCSV), string(FormatParquet), string(FormatJSONL)},
	reflect.TypeFor[FeatureType]():  {string(TypeNumber), string(TypeInteger), string(TypeCategory), string(TypeBoolean)},
	reflect.TypeFor[Task]():         {string(TaskBinary), string(TaskMulticlass), string(TaskRegression)},
	reflect.TypeFor[StrategyType](): {string(StrategyDirect), string(StrategyCanary)},
	reflect.TypeFor[DriftAction]():  {string(OnDriftReport), string(OnDriftRetrain), string(OnDriftAlert)},
}

func kindNames() []string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return s
}
